"""Ingestion against another writer that really deadlocks with it (two PostgreSQL sessions).

The other session locks the later row and, once ingestion holds the earlier one and waits,
asks for the earlier row too. PostgreSQL cancels the session that started waiting first, which
is ingestion: it must retry in its savepoint and win, or, out of attempts, write nothing and
say so (JSON 503 with Retry-After on the API).
"""

from __future__ import annotations

import datetime as dt
import threading
import time

import psycopg2
import pytest
from django.db import connection

from metrics import ingestion
from metrics.ingestion import IngestionBusy, RawValue, values_ingest
from metrics.models import MetricValue, Source
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory, MetricValueFactory

pytestmark = pytest.mark.django_db(transaction=True)
EARLY, LATE = dt.date(2026, 11, 2), dt.date(2026, 11, 9)


def other_writer(early_id: int, late_id: int, ready: threading.Event) -> threading.Thread:
    settings = connection.settings_dict
    params = {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "password": settings["PASSWORD"],
        "host": settings["HOST"],
        "port": settings["PORT"] or None,
    }

    def run() -> None:
        conn = psycopg2.connect(**{k: v for k, v in params.items() if v})
        with conn.cursor() as cur:
            cur.execute("UPDATE metrics_metricvalue SET value = -1 WHERE id = %s", [late_id])
            ready.set()
            deadline = time.monotonic() + 20
            while time.monotonic() < deadline:  # until ingestion waits for the later row
                cur.execute(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE wait_event_type = 'Lock' AND pid <> pg_backend_pid()"
                )
                if cur.fetchone()[0]:
                    break
                time.sleep(0.02)
            cur.execute("UPDATE metrics_metricvalue SET value = -1 WHERE id = %s", [early_id])
        conn.commit()
        conn.close()

    return threading.Thread(target=run)


@pytest.fixture
def two_values(acme):
    kpi = KpiFactory(organization=acme.org, key="weekly", cadence="weekly")
    early = MetricValueFactory(kpi=kpi, period_date=EARLY, value=1)
    late = MetricValueFactory(kpi=kpi, period_date=LATE, value=1)
    return early, late


def rows() -> list[RawValue]:
    # Given late first: ingestion sorts them, so it locks the early row first.
    return [RawValue("weekly", LATE.isoformat(), 7.0), RawValue("weekly", EARLY.isoformat(), 7.0)]


def stored(acme) -> list[float]:
    with org_scope(acme.org):
        return list(MetricValue.objects.order_by("period_date").values_list("value", flat=True))


def test_ingestion_that_loses_a_deadlock_retries_and_wins(acme, two_values):
    ready = threading.Event()
    thread = other_writer(two_values[0].pk, two_values[1].pk, ready)
    thread.start()
    ready.wait(10)
    result = values_ingest(org=acme.org, rows=rows(), source=Source.API)
    thread.join(30)
    assert result.updated == 2
    assert stored(acme) == [7.0, 7.0]


def test_out_of_attempts_the_api_answers_503_and_writes_nothing(
    acme, two_values, key_client, monkeypatch
):
    monkeypatch.setattr(ingestion, "WRITE_ATTEMPTS", 1)
    client = key_client(acme)
    ready = threading.Event()
    thread = other_writer(two_values[0].pk, two_values[1].pk, ready)
    thread.start()
    ready.wait(10)
    body = {"values": [{"kpi": r.kpi, "period_date": r.period_date, "value": 7} for r in rows()]}
    response = client.post("/api/v1/o/acme/values/bulk/", body, format="json")
    thread.join(30)
    assert response.status_code == 503
    assert int(response["Retry-After"]) > 0 and "nothing was written" in response.json()["detail"]
    assert stored(acme) == [-1.0, -1.0]  # the other writer's, none of the batch


def test_out_of_attempts_the_service_raises_busy(acme, two_values, monkeypatch):
    monkeypatch.setattr(ingestion, "WRITE_ATTEMPTS", 1)
    ready = threading.Event()
    thread = other_writer(two_values[0].pk, two_values[1].pk, ready)
    thread.start()
    ready.wait(10)
    with pytest.raises(IngestionBusy):
        values_ingest(org=acme.org, rows=rows(), source=Source.API)
    thread.join(30)
