"""/healthz: states only, never error text; 503 only when the database is away."""

from __future__ import annotations

import os
import time

import pytest

from tests.faults.services import free_port


def test_with_the_embedded_broker_it_reports_its_kind(client, db, settings) -> None:
    settings.REDIS_URL = ""
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "embedded"}


@pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)")
def test_a_reachable_redis_is_ok(client, db, settings) -> None:
    settings.REDIS_URL = os.environ["REDIS_URL"]
    assert client.get("/healthz").json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_an_unreachable_broker_is_degraded_not_down(client, db, settings) -> None:
    settings.REDIS_URL = f"redis://127.0.0.1:{free_port()}/0"  # nothing listens there
    started = time.monotonic()
    response = client.get("/healthz")
    assert time.monotonic() - started < 1
    assert response.status_code == 200
    assert response.json() == {"status": "degraded", "database": "ok", "broker": "unreachable"}
