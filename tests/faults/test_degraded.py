"""The web tier without Redis, and through a PostgreSQL restart.

Each test runs the app as production does (gunicorn, DEBUG off) against a private server it
may stop, hang or restart, and bounds every request with a client timeout.
"""

from __future__ import annotations

import json
import logging
import os
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.test import Client

from perfmgmt.cache import FailOpenRedisCache
from perfmgmt.models import ApiKeyScope
from perfmgmt.services import api_key_create
from tests.conftest import build_cascade
from tests.factories import KpiFactory
from tests.faults.appserver import AppServer, current_database_url
from tests.faults.services import PrivatePostgres, PrivateRedis

ROOT = Path(__file__).resolve().parents[2]


def fail_open_cache(redis: PrivateRedis, circuit_seconds: float = 5) -> FailOpenRedisCache:
    return FailOpenRedisCache(
        redis.url,
        {
            "CIRCUIT_SECONDS": circuit_seconds,
            "OPTIONS": {"socket_connect_timeout": 0.25, "socket_timeout": 0.25},
        },
    )


def test_a_stopped_redis_reads_as_a_miss_and_is_logged_once(private_redis, caplog) -> None:
    cache = fail_open_cache(private_redis, circuit_seconds=0.5)
    cache.set("k", [1, 2])
    assert cache.get("k") == [1, 2]
    private_redis.stop()
    with caplog.at_level(logging.WARNING, logger="perfmgmt.cache"):
        for _ in range(50):
            assert cache.get("k", "miss") == "miss"
            cache.set("k", [3])
        with pytest.raises(ValueError):
            cache.incr("counter")
    assert len([r for r in caplog.records if r.name == "perfmgmt.cache"]) == 1
    private_redis.start()
    time.sleep(0.6)  # the circuit lets one call through again
    cache.set("k", [4])
    assert cache.get("k") == [4]


def test_a_hung_redis_costs_one_short_timeout_per_window(private_redis) -> None:
    cache = fail_open_cache(private_redis)
    cache.set("k", 1)
    private_redis.hang()
    started = time.monotonic()
    assert cache.get("k", "miss") == "miss"
    first = time.monotonic() - started
    started = time.monotonic()
    for _ in range(100):
        assert cache.get("k", "miss") == "miss"
    rest = time.monotonic() - started
    assert first < 0.6 and rest < 0.1


# --- the app as a real server --------------------------------------------------------------


@pytest.fixture
def world(acme):
    """Acme with a weekly KPI, a read-write key and a signed-in executive's session cookie."""
    build_cascade(acme)
    KpiFactory(organization=acme.org, key="weekly", cadence="weekly")
    _, secret = api_key_create(
        org=acme.org, actor=acme.admin, name="warehouse", scope=ApiKeyScope.READ_WRITE
    )
    browser = Client()
    browser.force_login(acme.executive.user)
    acme.api_headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}
    acme.page_headers = {"Cookie": f"sessionid={browser.cookies['sessionid'].value}"}
    return acme


@pytest.fixture
def app(private_redis) -> Iterator[AppServer]:
    server = AppServer(database_url=current_database_url(), redis_url=private_redis.url)
    server.start()
    yield server
    server.stop()


def push(app: AppServer, headers: dict[str, str], value: float) -> int:
    body = {"values": [{"kpi": "weekly", "period_date": "2026-11-16", "value": value}]}
    status, _, _ = app.request(
        "POST", "/api/v1/o/acme/values/bulk/", json.dumps(body).encode(), headers, timeout=5
    )
    return status


@pytest.mark.django_db(transaction=True)
def test_pages_and_pushes_work_with_redis_stopped(world, app, private_redis) -> None:
    private_redis.stop()
    page, _, html = app.request("GET", "/o/acme/dashboard/", headers=world.page_headers, timeout=5)
    assert page == 200 and b"Scorecard" in html
    assert all(200 <= push(app, world.api_headers, value) < 300 for value in range(5))
    status, _, body = app.request("GET", "/healthz", timeout=5)
    assert status == 200
    assert json.loads(body) == {"status": "degraded", "database": "ok", "broker": "unreachable"}
    log = app.stop()
    assert log.count("going on without it") == 1  # one warning, not one per request


@pytest.mark.django_db(transaction=True)
def test_a_hung_redis_keeps_api_calls_under_a_second(world, app, private_redis) -> None:
    assert 200 <= push(app, world.api_headers, 1) < 300
    private_redis.hang()
    timings = []
    for _ in range(20):
        started = time.monotonic()
        status, _, _ = app.request("GET", "/api/v1/o/acme/kpis/", headers=world.api_headers)
        timings.append(time.monotonic() - started)
        assert status == 200
    p95 = statistics.quantiles(timings, n=20)[-1]
    assert p95 < 1.0, timings


# --- a PostgreSQL restart under a running app -----------------------------------------------

SETUP = """
from django.contrib.auth import get_user_model
from perfmgmt.services import api_key_create, organization_create
from perfmgmt.tenancy import org_scope
from perfmgmt.models import Membership
user = get_user_model().objects.create_user("ada", password="not-used-here")
org = organization_create(name="Acme", slug="acme", admin=user)
with org_scope(org):
    _, secret = api_key_create(
        org=org, actor=Membership.objects.get(user=user), name="k", scope="read_write"
    )
print(secret)
"""


@pytest.fixture
def migrated_postgres(private_postgres: PrivatePostgres) -> tuple[PrivatePostgres, str]:
    env = {**os.environ, "DATABASE_URL": private_postgres.url, "REDIS_URL": ""}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True, timeout=240)
    done = subprocess.run(
        [*manage, "shell", "-c", SETUP],
        cwd=ROOT,
        env=env,
        check=True,
        timeout=60,
        capture_output=True,
        text=True,
    )
    return private_postgres, done.stdout.strip().splitlines()[-1]


def test_requests_recover_from_a_postgres_restart_without_a_500(migrated_postgres) -> None:
    postgres, secret = migrated_postgres
    app = AppServer(database_url=postgres.url)
    app.start()
    try:
        headers = {"Authorization": f"Bearer {secret}"}
        assert app.request("GET", "/api/v1/o/acme/kpis/", headers=headers)[0] == 200

        postgres.stop()
        status, response_headers, body = app.request("GET", "/api/v1/o/acme/kpis/", headers=headers)
        assert status == 503 and response_headers["Retry-After"] == "5"
        status, _, body = app.request("GET", "/healthz")
        assert status == 503
        down = {"status": "down", "database": "unreachable", "broker": "embedded"}
        assert json.loads(body) == down

        postgres.start()
        # The pooled connections died with the server; health checks replace them at once.
        statuses = [
            app.request("GET", "/api/v1/o/acme/kpis/", headers=headers)[0] for _ in range(8)
        ]
        assert statuses == [200] * 8
        assert app.request("GET", "/healthz")[0] == 200
    finally:
        app.stop()
