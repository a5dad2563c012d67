"""The real thing: a Celery worker process against the real Redis and PostgreSQL.

Each test starts `celery worker` subprocesses on a queue of its own, pointed at the test
database, and watches the database for the outcome. They need REDIS_URL (CI sets it).
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from django.db import connection

from metrics.models import IngestionRun, MetricValue
from metrics.sources import source_save
from metrics.tasks import sources_dispatch
from perfmgmt.tenancy import org_scope
from reviews.models import ReminderDelivery
from reviews.tasks import reminders_for_org
from tests.factories import KpiFactory

ROOT = Path(__file__).resolve().parents[1]
pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]
VISIBILITY = 12  # seconds: a short visibility timeout makes redelivery quick enough to test


def database_url() -> str:
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        from urllib.parse import quote

        return f"postgres://{db['USER']}@{quote(host, safe='')}/{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.fixture
def queue(settings) -> str:  # noqa: ANN001
    name = f"test-{uuid.uuid4().hex[:8]}"
    from perfmgmt.celery import app

    app.conf.task_default_queue = name
    yield name
    app.conf.task_default_queue = "celery"


@pytest.fixture
def worker(queue, tmp_path) -> Iterator[Callable[[], subprocess.Popen]]:  # noqa: ANN001
    started: list[subprocess.Popen] = []
    env = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "CELERY_QUEUE": queue,
        "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
        "CELERY_TASK_TIME_LIMIT": str(VISIBILITY - 2),
        "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
        "EMAIL_FILE_PATH": str(tmp_path / "mail"),
        "C_FORCE_ROOT": "1",
    }

    def start() -> subprocess.Popen:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "perfmgmt",
                "worker",
                "-Q",
                queue,
                "--concurrency",
                "1",
                "-l",
                "info",
                "--without-gossip",
                "--without-mingle",
            ],
            cwd=ROOT,
            env=env,
            start_new_session=True,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        started.append(process)
        deadline = time.monotonic() + 60
        for line in process.stdout:  # wait for "ready" before handing it work
            if "ready" in line:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("worker did not start")
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
        return process

    yield start
    for process in started:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)


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

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_port}", state
    httpd.shutdown()


def wait_until(check: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(0.5)
    return False


@pytest.fixture
def due_source(acme, acme_cascade, http_source):  # noqa: ANN001, ANN201
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


def stored(org) -> list:  # noqa: ANN001
    with org_scope(org):
        return sorted(
            MetricValue.objects.filter(kpi__key="deploys").values_list("period_date", "value")
        )


EXPECTED = [(dt.date(2026, 11, d), float(d)) for d in (2, 9, 16)]


def test_a_worker_pulls_a_due_source_and_stores_its_values(acme, due_source, worker):  # noqa: ANN001
    worker()
    assert sources_dispatch() == 1
    assert wait_until(lambda: stored(acme.org) == EXPECTED, 60), stored(acme.org)
    with org_scope(acme.org):
        run = IngestionRun.objects.get()
    assert (run.status, run.rows_written) == ("ok", 3)
    assert sources_dispatch() == 0  # the next slot is a minute away: nothing due twice


def test_a_task_of_a_killed_worker_is_redone_once(acme, due_source, worker, http_source):  # noqa: ANN001
    _, state = http_source
    state["delay"] = 4  # the pull is mid-flight when the worker dies
    first = worker()
    sources_dispatch()
    assert wait_until(lambda: state["hits"] >= 1, 30)
    os.killpg(first.pid, signal.SIGKILL)  # no goodbye, no ack
    first.wait()
    assert stored(acme.org) == []
    state["delay"] = 0
    worker()
    assert wait_until(lambda: stored(acme.org) == EXPECTED, VISIBILITY + 45), stored(acme.org)
    with org_scope(acme.org):
        assert MetricValue.objects.filter(kpi__key="deploys").count() == 3


def test_reminders_of_a_killed_worker_reach_each_person_once(
    acme, acme_cascade, worker, http_source, tmp_path
):  # noqa: ANN001, E501
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
    os.killpg(first.pid, signal.SIGKILL)
    first.wait()
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
