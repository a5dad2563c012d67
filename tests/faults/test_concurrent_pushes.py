"""Eight clients push the same values at the same moment, each in its own order.

Run against a real HTTP server (pytest-django's live server, one thread and one database
connection per request), so the upserts really race in PostgreSQL.
"""

from __future__ import annotations

import datetime as dt
import random
import threading

import pytest
import requests

from metrics.models import MetricValue
from perfmgmt.services import api_key_create
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory

pytestmark = pytest.mark.django_db(transaction=True)

CLIENTS = 8
KPIS = 50
WEEKS = 100  # 5,000 (KPI, week) pairs, every client sends all of them


def test_overlapping_bulk_pushes_in_shuffled_orders_all_succeed(acme, acme_cascade, live_server):
    keys = [f"k{i}" for i in range(KPIS)]
    for key in keys:
        KpiFactory(organization=acme.org, key=key, cadence="weekly")
    _, secret = api_key_create(org=acme.org, actor=acme.admin, name="load", scope="read_write")
    monday = dt.date(2026, 11, 16)
    pairs = [
        (key, (monday - dt.timedelta(weeks=w)).isoformat()) for key in keys for w in range(WEEKS)
    ]
    url = f"{live_server.url}/api/v1/o/acme/values/bulk/"
    start = threading.Barrier(CLIENTS)
    answers: list[tuple[int, int, str]] = []

    def push(client: int) -> None:
        order = pairs[:]
        random.Random(client).shuffle(order)
        body = {"values": [{"kpi": k, "period_date": d, "value": client} for k, d in order]}
        start.wait()
        response = requests.post(
            url, json=body, headers={"Authorization": f"Bearer {secret}"}, timeout=120
        )
        answers.append((client, response.status_code, response.text[:300]))

    threads = [threading.Thread(target=push, args=(c,)) for c in range(CLIENTS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=180)

    assert sorted(status for _, status, _ in answers) == [200] * CLIENTS, answers
    with org_scope(acme.org):
        stored = list(
            MetricValue.objects.filter(kpi__key__in=keys).values_list(
                "kpi__key", "period_date", "value"
            )
        )
    assert len(stored) == len(pairs)
    assert len({(k, d) for k, d, _ in stored}) == len(pairs)  # no duplicate rows
    assert {v for _, _, v in stored} <= set(range(CLIENTS))  # every final value was pushed
