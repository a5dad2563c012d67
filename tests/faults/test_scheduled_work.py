"""Scheduled work survives the broker and the workers failing (issue #10, item 7).

Each test starts its own Redis (no persistence: a restart loses every queued task), its own
`celery worker` processes on a queue of their own, a loopback HTTP source and, for reminders, a
loopback SMTP server, and checks the outcome in the database, the run log and the mailbox. The
beat is this process: each `sources_dispatch()` call is one tick (claim due pulls + sweep).
"""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
import time
from collections.abc import Callable, Iterator

import pytest
import redis

from metrics.models import DataSource, IngestionRun, MetricValue
from metrics.sources import source_save
from metrics.tasks import sources_dispatch
from perfmgmt.tenancy import org_scope
from reviews.models import ReminderDelivery
from reviews.reminders import reminders_send
from tests.factories import KpiFactory
from tests.faults.services import PrivateRedis, free_port
from tests.faults.smtp import SmtpServer
from tests.workers import TIME_LIMIT, VISIBILITY, Workers, own_queue, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

EXPECTED = [(dt.date(2026, 11, d), float(d)) for d in (2, 9, 16)]
DOCUMENT = json.dumps(
    [{"kpi": "deploys", "date": f"2026-11-{d:02d}", "value": d} for d in (2, 9, 16)]
).encode()


class Source:
    """A loopback HTTP source; `hang_first` makes the first request hang for that long."""

    def __init__(self) -> None:
        self.hits = 0
        self.hang_first = 0.0
        source = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_GET(self) -> None:  # noqa: N802
                source.hits += 1
                if source.hits == 1:
                    time.sleep(source.hang_first)
                self.send_response(200)
                self.send_header("Content-Length", str(len(DOCUMENT)))
                self.end_headers()
                self.wfile.write(DOCUMENT)

            def log_message(self, *args) -> None:
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_port}/deploys"


@pytest.fixture
def http_source() -> Iterator[Source]:
    source = Source()
    yield source
    source.httpd.shutdown()


@pytest.fixture
def due_source(acme, acme_cascade, http_source) -> DataSource:
    KpiFactory(organization=acme.org, key="deploys", cadence="weekly")
    return source_save(
        org=acme.org,
        actor=acme.admin,
        name="Deploys",
        kind="json",
        url=http_source.url,
        interval_minutes=60,  # one slot in the test: the next is an hour away
        data_owner=acme.admin.user,
    )


@pytest.fixture
def workers(private_redis, tmp_path, settings) -> Iterator[Workers]:
    # The beat (this process) and the workers agree on the time limit and the broker.
    settings.TASK_LOST_AFTER = TIME_LIMIT + 5
    settings.SOURCE_REQUEUE_AFTER = 3
    with own_queue(broker_url=private_redis.url) as queue:
        started = Workers(queue=queue, mail_dir=tmp_path / "mail", broker_url=private_redis.url)
        yield started
        started.stop_all()


def stored(org) -> list:
    with org_scope(org):
        return sorted(
            MetricValue.objects.filter(kpi__key="deploys").values_list("period_date", "value")
        )


def run_log(org) -> list[tuple[int, str, str]]:
    with org_scope(org):
        return list(
            IngestionRun.objects.order_by("attempt").values_list("attempt", "status", "error")
        )


def beat_until(check: Callable[[], bool], seconds: float) -> bool:
    """Tick the beat every two seconds until `check` holds (or the time is up)."""

    def tick() -> bool:
        sources_dispatch()
        return check()

    return wait_until(tick, seconds, every=2)


def queued_messages(private_redis: PrivateRedis, queue: str) -> int:
    with redis.Redis.from_url(private_redis.url, socket_timeout=5) as client:
        return client.llen(queue)


def test_a_pull_queued_in_a_redis_that_restarts_still_happens_once(
    acme, due_source, http_source, private_redis, workers
):
    assert sources_dispatch() == 1  # claimed, recorded, published to Redis
    assert queued_messages(private_redis, workers.queue) == 1
    private_redis.restart()  # no persistence: the task is gone
    assert queued_messages(private_redis, workers.queue) == 0
    workers.start()
    assert beat_until(lambda: stored(acme.org) == EXPECTED, 60), (stored(acme.org), run_log(acme))
    time.sleep(3)  # a stray second delivery would show up here
    assert [(a, s) for a, s, _ in run_log(acme.org)] == [(1, "ok")]
    assert http_source.hits == 1
    with org_scope(acme.org):
        assert MetricValue.objects.filter(kpi__key="deploys").count() == 3


def test_a_pull_claimed_while_redis_is_down_happens_once_it_is_back(
    acme, due_source, http_source, private_redis, workers
):
    private_redis.stop()
    assert sources_dispatch() == 1  # the publish fails; the claim and its run are on record
    assert [(a, s) for a, s, _ in run_log(acme.org)] == [(1, "queued")]
    private_redis.start()
    workers.start()
    assert beat_until(lambda: stored(acme.org) == EXPECTED, 60), (stored(acme.org), run_log(acme))
    assert [(a, s) for a, s, _ in run_log(acme.org)] == [(1, "ok")]
    assert http_source.hits == 1


def test_a_worker_killed_mid_pull_leaves_one_copy_of_each_value_and_an_honest_run_log(
    acme, due_source, http_source, private_redis, workers
):
    http_source.hang_first = 30  # attempt 1 is mid-fetch when its worker dies
    first = workers.start()
    sources_dispatch()
    assert wait_until(lambda: http_source.hits == 1, 30)
    Workers.kill(first)
    assert [(a, s) for a, s, _ in run_log(acme.org)] == [(1, "running")]
    workers.start()
    assert beat_until(lambda: stored(acme.org) == EXPECTED, TIME_LIMIT + 5 + 45), run_log(acme)
    # Redis hands attempt 1's unacknowledged task out again after the visibility timeout: it
    # finds its run taken and does nothing.
    time.sleep(VISIBILITY + 6)
    sources_dispatch()
    log = run_log(acme.org)
    assert [(a, s) for a, s, _ in log] == [(1, "failed"), (2, "ok")], log
    assert "worker was lost" in log[0][2]
    assert http_source.hits == 2
    with org_scope(acme.org):
        assert MetricValue.objects.filter(kpi__key="deploys").count() == 3
    assert stored(acme.org) == EXPECTED


@pytest.fixture
def reminders_due(acme, acme_cascade, settings):
    """Every reminder due at once: check-ins, stale KPIs and the business review."""
    objective = acme_cascade.objective
    objective.period_start, objective.period_end = dt.date(2020, 1, 1), dt.date(2030, 12, 31)
    objective.save()
    acme.org.checkin_hour, acme.org.checkin_weekday = 0, 0
    acme.org.save()
    smtp = SmtpServer(free_port())
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", smtp.port, 5
    yield smtp
    smtp.stop()


def messages_per_reminder(acme, smtp: SmtpServer) -> dict[tuple[str, str], int]:
    with org_scope(acme.org):
        claims = list(ReminderDelivery.objects.values_list("user__email", "subject"))
    return {
        (email, subject): sum(subject in text for text in smtp.mailbox.to(email))
        for email, subject in claims
    }


def test_reminders_refused_by_smtp_arrive_once_after_it_returns(acme, reminders_due):
    smtp = reminders_due  # not listening yet: connection refused
    started = time.monotonic()
    assert reminders_send(org=acme.org) == 0
    assert time.monotonic() - started < 10  # one refusal, not one wait per person
    with org_scope(acme.org):
        failed = list(ReminderDelivery.objects.values_list("sent_at", "attempts", "last_error"))
    assert failed and all(sent is None and "Refused" in error for sent, _, error in failed)
    smtp.start()
    reminders_send(org=acme.org)
    reminders_send(org=acme.org)  # the next tick sends nothing twice
    counts = messages_per_reminder(acme, smtp)
    assert len(counts) >= 4 and set(counts.values()) == {1}, counts
    with org_scope(acme.org):
        assert not ReminderDelivery.objects.filter(sent_at__isnull=True).exists()


def test_a_refused_recipient_does_not_stop_the_others_and_gets_it_once_later(acme, reminders_due):
    smtp = reminders_due
    smtp.mailbox.refuse_recipients = {acme.executive.user.email}
    smtp.start()
    reminders_send(org=acme.org)
    assert smtp.mailbox.to(acme.finance.user.email)  # after the executive in the same run
    assert smtp.mailbox.to(acme.lead.user.email)
    assert not smtp.mailbox.to(acme.executive.user.email)
    smtp.mailbox.refuse_recipients = set()
    smtp.mailbox.refuse_all = "451 4.3.0 try again later"
    reminders_send(org=acme.org)
    smtp.mailbox.refuse_all = ""
    reminders_send(org=acme.org)
    reminders_send(org=acme.org)
    counts = messages_per_reminder(acme, smtp)
    assert set(counts.values()) == {1}, counts
    with org_scope(acme.org):
        retried = ReminderDelivery.objects.get(user=acme.executive.user)
    assert retried.sent_at is not None and retried.attempts == 3
