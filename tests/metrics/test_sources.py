"""Scheduled pulls against a real HTTP server on loopback."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading
from collections.abc import Iterator

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import connection
from django.http import Http404
from django.utils import timezone

from metrics.models import DataSource, IngestionRun, MetricValue
from metrics.sources import (
    runs_sweep,
    source_get,
    source_pull,
    source_save,
    sources_claim_due,
)
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory


class Documents:
    """What the local server answers, per path: (status, body bytes)."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[int, bytes]] = {}
        self.hits: list[str] = []


@pytest.fixture
def server() -> Iterator[tuple[str, Documents]]:
    docs = Documents()

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802
            docs.hits.append(self.path)
            status, body = docs.routes.get(self.path, (404, b"not found"))
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args) -> None:
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", docs
    httpd.shutdown()


DEPLOYS_9 = {"kpi": "deploys", "week": "2026-11-09", "count": 12}


@pytest.fixture
def weekly(acme, acme_cascade):
    return KpiFactory(organization=acme.org, key="deploys", cadence="weekly")


def make_source(world, url: str, **fields) -> DataSource:
    defaults = {
        "name": "Warehouse",
        "kind": "json",
        "url": url,
        "records_path": "data",
        "kpi_field": "kpi",
        "date_field": "week",
        "value_field": "count",
        "interval_minutes": 1,
        "data_owner": world.lead.user,
        "auth_header": "Token s3cret",
        **fields,
    }
    return source_save(org=world.org, actor=world.admin, **defaults)


def queued(world, source: DataSource, **fields) -> IngestionRun:
    """A run as the dispatcher records it when it claims a slot."""
    with org_scope(world.org):
        return IngestionRun.objects.create(
            organization=world.org, source=source, slot=fields.pop("slot", timezone.now()), **fields
        )


def pull(world, source: DataSource) -> IngestionRun:
    """Claim-and-run one slot now, as a worker would."""
    return source_pull(org=world.org, run_id=queued(world, source).pk).run


def runs(world) -> list[tuple[int, str]]:
    with org_scope(world.org):
        return list(IngestionRun.objects.order_by("attempt").values_list("attempt", "status"))


def values(world) -> list:
    with org_scope(world.org):
        return sorted(
            MetricValue.objects.filter(kpi__key="deploys").values_list("period_date", "value")
        )


def test_a_json_source_is_pulled_into_the_kpi(acme, weekly, server):
    base, docs = server
    docs.routes["/deploys"] = (
        200,
        json.dumps(
            {
                "data": [
                    {"kpi": "deploys", "week": "2026-11-09", "count": 12},
                    {"kpi": "deploys", "week": "2026-11-16", "count": 14},
                ]
            }
        ).encode(),
    )
    source = make_source(acme, f"{base}/deploys")
    run = pull(acme, source)
    assert (run.status, run.rows_read, run.rows_written, run.error) == ("ok", 2, 2, "")
    assert values(acme) == [(dt.date(2026, 11, 9), 12.0), (dt.date(2026, 11, 16), 14.0)]
    # The same document again: nothing new.
    again = pull(acme, source)
    assert again.rows_written == 0 and len(values(acme)) == 2


def test_a_csv_upload_source_maps_its_columns(acme, weekly):
    source = make_source(
        acme, "", kind="csv", records_path="", csv_text="kpi,week,count\ndeploys,2026-11-09,7\n"
    )
    assert pull(acme, source).status == "ok"
    assert values(acme) == [(dt.date(2026, 11, 9), 7.0)]


@pytest.mark.parametrize(
    ("status", "body", "error"),
    [
        (200, b"{not json", "not valid JSON"),
        (200, json.dumps({"rows": []}).encode(), "records_path"),
        (
            200,
            json.dumps({"data": [{"kpi": "deploys", "when": "2026-11-09", "count": 1}]}).encode(),
            "week",
        ),
        (
            200,
            b'{"data": [{"kpi": "deploys", "week": "2026-11-09", "count": 1},'
            b' {"kpi": "deploys", "week": "2026-11-16", "count": NaN}]}',
            "row 1 value",
        ),
        (404, b"gone", "HTTP 404"),
    ],
)
def test_bad_source_data_fails_the_run_and_writes_nothing(
    acme, weekly, server, status, body, error
):
    base, docs = server
    docs.routes["/d"] = (status, body)
    source = make_source(acme, f"{base}/d")
    run = pull(acme, source)
    assert run.status == "failed" and error in run.error
    assert values(acme) == []
    assert runs(acme) == [(1, "failed")]  # bad data is not retried: it would fail the same way


def test_a_server_error_closes_the_attempt_and_queues_the_next_up_to_the_last(
    acme, weekly, server, settings
):
    settings.SOURCE_PULL_MAX_ATTEMPTS = 3
    base, docs = server
    docs.routes["/d"] = (500, b"oops")
    source = make_source(acme, f"{base}/d")
    result = source_pull(org=acme.org, run_id=queued(acme, source).pk)
    assert result.run.status == "failed" and "HTTP 500" in result.run.error
    assert result.retry.attempt == 2 and result.retry.status == "queued"
    assert result.retry.due_at > timezone.now()  # after a back-off
    second = source_pull(org=acme.org, run_id=result.retry.pk)
    third = source_pull(org=acme.org, run_id=second.retry.pk)
    assert third.run.attempt == 3 and third.retry is None  # the last attempt
    assert runs(acme) == [(1, "failed"), (2, "failed"), (3, "failed")]
    source.refresh_from_db()
    assert source.consecutive_failures == 3 and source.last_status == "failed"


def test_the_next_attempt_after_a_server_error_writes_the_values(acme, weekly, server):
    base, docs = server
    docs.routes["/d"] = (503, b"busy")
    source = make_source(acme, f"{base}/d")
    retry = source_pull(org=acme.org, run_id=queued(acme, source).pk).retry
    docs.routes["/d"] = (200, json.dumps({"data": [DEPLOYS_9]}).encode())
    assert source_pull(org=acme.org, run_id=retry.pk).run.status == "ok"
    assert runs(acme) == [(1, "failed"), (2, "ok")]
    assert values(acme) == [(dt.date(2026, 11, 9), 12.0)]
    source.refresh_from_db()
    assert source.consecutive_failures == 0


def test_a_source_failing_three_times_running_is_flagged_to_its_data_owner(
    acme, weekly, server, django_capture_on_commit_callbacks
):
    base, docs = server
    docs.routes["/d"] = (200, b"{bad")
    source = make_source(acme, f"{base}/d")
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            pull(acme, source)
    flagged = [m for m in mail.outbox if "keeps failing" in m.subject]
    assert len(flagged) == 1 and flagged[0].to == [acme.lead.user.email]


def test_the_auth_header_is_sent_and_never_shown(acme, weekly, server, client_for):
    base, docs = server
    docs.routes["/d"] = (200, b'{"data": []}')
    source = make_source(acme, f"{base}/d")
    page = client_for(acme.admin).get(f"/o/acme/sources/{source.pk}/").content.decode()
    assert "s3cret" not in page
    # Saving without a new secret keeps the old one.
    source = source_save(
        org=acme.org, actor=acme.admin, source=source, name="Renamed", auth_header=""
    )
    assert source.auth_header == "Token s3cret"


def test_claiming_due_sources_twice_pulls_once(acme, weekly, server):
    base, _ = server
    source = make_source(acme, f"{base}/d")
    slot = source.next_run_at
    now = timezone.now() + dt.timedelta(seconds=1)
    first = sources_claim_due(now=now)
    second = sources_claim_due(now=now)
    assert [run.source_id for run in first] == [source.pk] and second == []
    source.refresh_from_db()
    assert source.next_run_at > now
    # The claim and the record of the work to do committed together.
    with org_scope(acme.org):
        run = IngestionRun.objects.get()
    assert (run.slot, run.attempt, run.status, run.started_at) == (slot, 1, "queued", None)


def test_a_pull_delivered_twice_runs_once(acme, weekly, server):
    base, docs = server
    docs.routes["/d"] = (200, json.dumps({"data": [DEPLOYS_9]}).encode())
    source = make_source(acme, f"{base}/d")
    run = queued(acme, source)
    assert source_pull(org=acme.org, run_id=run.pk).run.status == "ok"
    assert source_pull(org=acme.org, run_id=run.pk).run is None
    assert docs.hits == ["/d"] and runs(acme) == [(1, "ok")]


def test_a_pull_of_another_organisations_run_does_nothing(acme, globex, weekly, server):
    base, docs = server
    docs.routes["/d"] = (200, json.dumps({"data": [DEPLOYS_9]}).encode())
    run = queued(acme, make_source(acme, f"{base}/d"))
    assert source_pull(org=globex.org, run_id=run.pk).run is None
    assert docs.hits == [] and runs(acme) == [(1, "queued")]


def test_the_sweep_hands_out_again_a_run_the_broker_lost(acme, weekly, server, settings):
    settings.SOURCE_REQUEUE_AFTER = 180
    run = queued(acme, make_source(acme, f"{server[0]}/d"))
    assert runs_sweep(now=run.due_at + dt.timedelta(seconds=60)) == []  # may still be on its way
    later = run.due_at + dt.timedelta(seconds=181)
    assert [r.pk for r in runs_sweep(now=later)] == [run.pk]
    assert runs_sweep(now=later) == []  # handed out once per grace period, not by every beat
    assert runs(acme) == [(1, "queued")]


def test_the_sweep_closes_a_run_whose_worker_was_lost_and_queues_attempt_two(
    acme, weekly, server, settings
):
    settings.TASK_LOST_AFTER = 55
    base, docs = server
    docs.routes["/d"] = (200, json.dumps({"data": [DEPLOYS_9]}).encode())
    source = make_source(acme, f"{base}/d")
    started = timezone.now()
    run = queued(acme, source, status="running", started_at=started)
    assert runs_sweep(now=started + dt.timedelta(seconds=50)) == []  # may still be working
    swept = runs_sweep(now=started + dt.timedelta(seconds=56))
    assert [(r.attempt, r.status, r.slot) for r in swept] == [(2, "queued", run.slot)]
    assert runs_sweep(now=started + dt.timedelta(seconds=120)) == []  # closed once
    with org_scope(acme.org):
        lost = IngestionRun.objects.get(attempt=1)
    assert lost.status == "failed" and "worker was lost" in lost.error
    assert source_pull(org=acme.org, run_id=swept[0].pk).run.status == "ok"
    assert runs(acme) == [(1, "failed"), (2, "ok")]
    assert values(acme) == [(dt.date(2026, 11, 9), 12.0)]


def test_a_lost_last_attempt_is_closed_and_not_retried(acme, weekly, server, settings):
    settings.TASK_LOST_AFTER, settings.SOURCE_PULL_MAX_ATTEMPTS = 55, 2
    source = make_source(acme, f"{server[0]}/d")
    started = timezone.now()
    queued(acme, source, status="running", started_at=started, attempt=2)
    assert runs_sweep(now=started + dt.timedelta(seconds=56)) == []
    assert runs(acme) == [(2, "failed")]


def test_a_rerun_of_work_a_lost_attempt_finished_writes_no_value_twice(acme, weekly, server):
    base, docs = server
    docs.routes["/d"] = (200, json.dumps({"data": [DEPLOYS_9]}).encode())
    source = make_source(acme, f"{base}/d")
    assert pull(acme, source).rows_written == 1
    assert pull(acme, source).rows_written == 0
    with org_scope(acme.org):
        assert MetricValue.objects.filter(kpi__key="deploys").count() == 1


def test_sources_reject_a_bad_schedule_and_a_missing_url(acme):
    with pytest.raises(ValidationError) as error:
        make_source(acme, "http://127.0.0.1:1/x", interval_minutes=None, cron="every monday")
    assert "cron" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_source(acme, "", kind="json")
    assert "url" in error.value.message_dict


def test_only_admins_manage_sources(acme):
    from django.core.exceptions import PermissionDenied

    with pytest.raises(PermissionDenied):
        source_save(
            org=acme.org,
            actor=acme.lead,
            name="x",
            kind="json",
            url="http://x.test/",
            interval_minutes=5,
            data_owner=acme.lead.user,
        )


def test_a_cron_schedule_follows_the_organisations_time_zone(acme):
    from metrics.sources import next_run_after

    acme.org.timezone = "Europe/Berlin"
    source = DataSource(organization=acme.org, cron="0 6 * * *")
    after = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    assert next_run_after(source, after) == dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)


@pytest.mark.django_db(transaction=True)
def test_two_sweeps_at_the_same_moment_queue_one_next_attempt(acme, weekly, server, settings):
    settings.TASK_LOST_AFTER = 55
    source = make_source(acme, f"{server[0]}/d")
    started = timezone.now()
    queued(acme, source, status="running", started_at=started)
    now = started + dt.timedelta(seconds=56)
    barrier, found = threading.Barrier(2), []

    def beat() -> None:
        try:
            barrier.wait(timeout=10)
            found.extend(runs_sweep(now=now))
        finally:
            connection.close()

    beats = [threading.Thread(target=beat) for _ in range(2)]
    for thread in beats:
        thread.start()
    for thread in beats:
        thread.join(timeout=30)
    assert [r.attempt for r in found] == [2]
    assert runs(acme) == [(1, "failed"), (2, "queued")]


def test_a_csv_pull_strips_cells_like_the_import_page(acme, weekly):
    text = "kpi, week ,count\n deploys , 2026-11-09 , 7 \n"
    source = make_source(acme, "", kind="csv", records_path="", csv_text=text)
    assert pull(acme, source).status == "ok"
    assert values(acme) == [(dt.date(2026, 11, 9), 7.0)]


def test_a_csv_pull_without_a_mapped_column_names_every_row(acme, weekly):
    text = "kpi,when,count\ndeploys,2026-11-09,7\ndeploys,2026-11-16,8\n"
    source = make_source(acme, "", kind="csv", records_path="", csv_text=text)
    run = pull(acme, source)
    assert run.status == "failed" and values(acme) == []
    assert "row 0 columns: no column week" in run.error
    assert "row 1 columns: no column week" in run.error


def test_a_source_is_fetched_only_in_its_own_organisation(acme, globex):
    source = make_source(acme, "https://example.com/d")
    assert source_get(org=acme.org, source_id=str(source.pk)) == source
    with pytest.raises(Http404):
        source_get(org=globex.org, source_id=str(source.pk))


def test_a_rejected_source_form_is_a_400_with_the_services_error(acme, client_for):
    response = client_for(acme.admin).post(
        "/o/acme/sources/",
        {
            "name": "Warehouse",
            "kind": "json",
            "interval_minutes": "60",
            "kpi_field": "kpi",
            "date_field": "week",
            "value_field": "count",
            "data_owner": acme.admin.user.pk,
        },
    )
    assert response.status_code == 400
    assert "A JSON source needs a URL." in response.content.decode()
