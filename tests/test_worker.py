"""The real thing: a Celery worker process against the real Redis and PostgreSQL.

Each test starts `celery worker` subprocesses on a queue of its own, pointed at the test
database, and watches the database for the outcome. They need REDIS_URL (CI sets it).
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from metrics.models import IngestionRun, MetricValue
from metrics.sources import source_save
from metrics.tasks import sources_dispatch
from perfmgmt.tenancy import org_scope
from reviews.models import ReminderDelivery
from reviews.tasks import reminders_for_org
from tests.factories import KpiFactory
from tests.workers import TIME_LIMIT, VISIBILITY, Workers, own_queue, wait_until

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]


@pytest.fixture
def worker(tmp_path, settings) -> Iterator[Callable]:
    # The beat in this process (each sources_dispatch call) knows the workers' time limit.
    settings.TASK_LOST_AFTER = TIME_LIMIT + 5
    with own_queue() as queue:
        workers = Workers(queue=queue, mail_dir=tmp_path / "mail")
        yield workers.start
        workers.stop_all()


@pytest.fixture
def http_source() -> Iterator[tuple[str, dict]]:
    state = {"delay": 0.0, "hits": 0, "body": b"{}"}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            state["hits"] += 1
            time.sleep(state["delay"])
            self.send_response(200)
            self.send_header("Content-Length", str(len(state["body"])))
            self.end_headers()
            self.wfile.write(state["body"])

        def do_POST(self) -> None:  # noqa: N802  (the Slack webhook)
            self.rfile.read(int(self.headers.get("Content-Length", 0)))
            state["hits"] += 1
            time.sleep(state["delay"])
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", state
    httpd.shutdown()


@pytest.fixture
def due_source(acme, acme_cascade, http_source):
    base, state = http_source
    KpiFactory(organization=acme.org, key="deploys", cadence="weekly")
    state["body"] = json.dumps(
        [{"kpi": "deploys", "date": f"2026-11-{d:02d}", "value": d} for d in (2, 9, 16)]
    ).encode()
    return source_save(
        org=acme.org,
        actor=acme.admin,
        name="Deploys",
        kind="json",
        url=f"{base}/deploys",
        interval_minutes=1,
        data_owner=acme.admin.user,
    )


def stored(org) -> list:
    with org_scope(org):
        return sorted(
            MetricValue.objects.filter(kpi__key="deploys").values_list("period_date", "value")
        )


EXPECTED = [(dt.date(2026, 11, d), float(d)) for d in (2, 9, 16)]


def test_a_worker_pulls_a_due_source_and_stores_its_values(acme, due_source, worker):
    worker()
    assert sources_dispatch() == 1
    assert wait_until(lambda: stored(acme.org) == EXPECTED, 60), stored(acme.org)
    with org_scope(acme.org):
        run = IngestionRun.objects.get()
    assert (run.status, run.rows_written) == ("ok", 3)
    assert sources_dispatch() == 0  # the next slot is a minute away: nothing due twice


def test_a_pull_of_a_killed_worker_is_redone_once_as_attempt_two(
    acme, due_source, worker, http_source
):
    _, state = http_source
    state["delay"] = 4  # the pull is mid-flight when the worker dies
    first = worker()
    sources_dispatch()
    assert wait_until(lambda: state["hits"] >= 1, 30)
    Workers.kill(first)
    assert stored(acme.org) == []
    state["delay"] = 0
    worker()

    def beat_until_stored() -> bool:
        sources_dispatch()  # every call is a beat: it also sweeps up the lost run
        return stored(acme.org) == EXPECTED

    assert wait_until(beat_until_stored, TIME_LIMIT + 5 + 45, every=2), stored(acme.org)
    with org_scope(acme.org):
        assert MetricValue.objects.filter(kpi__key="deploys").count() == 3
        slot = IngestionRun.objects.order_by("queued_at").first().slot
        runs = list(
            IngestionRun.objects.filter(slot=slot)
            .order_by("attempt")
            .values_list("attempt", "status", "error")
        )
    assert [(attempt, status) for attempt, status, _ in runs] == [(1, "failed"), (2, "ok")]
    assert "worker was lost" in runs[0][2]


def test_reminders_of_a_killed_worker_reach_each_person_once(
    acme, acme_cascade, worker, http_source, tmp_path
):  # noqa: E501
    base, state = http_source
    objective = acme_cascade.objective
    objective.period_start, objective.period_end = dt.date(2020, 1, 1), dt.date(2030, 12, 31)
    objective.save()
    acme.org.checkin_hour, acme.org.checkin_weekday = 0, 0
    acme.org.slack_webhook_url = f"{base}/slack"
    acme.org.save()
    state["delay"] = 4  # the Slack webhook hangs: the worker dies while sending
    first = worker()
    reminders_for_org.delay(acme.org.pk)
    assert wait_until(lambda: state["hits"] >= 1, 30)
    Workers.kill(first)
    state["delay"] = 0
    worker()

    def settled() -> bool:
        with org_scope(acme.org):
            return (
                not ReminderDelivery.objects.filter(sent_at__isnull=True)
                .exclude(channel="slack")
                .exists()
                and ReminderDelivery.objects.filter(kind="mbr").count() >= 4
            )

    assert wait_until(settled, VISIBILITY + 45)
    time.sleep(2)
    messages = [p.read_text() for p in (tmp_path / "mail").glob("*.log")]
    with org_scope(acme.org):
        claims = list(ReminderDelivery.objects.values_list("user__email", "kind", "channel"))
    assert len(claims) == len(set(claims))  # one claim per person, kind, period and channel
    emailed = [(email, kind) for email, kind, channel in claims if channel == "email"]
    assert emailed  # the check-in, stale-KPI and business-review reminders went out
    for email, kind in emailed:
        sent = [m for m in messages if f"To: {email}" in m and _subject(kind) in m]
        assert len(sent) == 1, (email, kind, len(sent))


def _subject(kind: str) -> str:
    return {
        "checkin": "Weekly check-in due",
        "escalation": "Check-ins still missing",
        "stale_kpi": "KPI values due",
        "mbr": "Monthly business review",
    }.get(kind, kind)
