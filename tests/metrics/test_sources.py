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
from django.utils import timezone

from metrics.models import DataSource, IngestionRun, MetricValue
from metrics.sources import TransientSourceError, source_pull, source_save, sources_claim_due
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

        def log_message(self, *args) -> None:  # noqa: ANN002
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_port}", docs
    httpd.shutdown()


@pytest.fixture
def weekly(acme, acme_cascade):  # noqa: ANN001, ANN201
    return KpiFactory(organization=acme.org, key="deploys", cadence="weekly")


def make_source(world, url: str, **fields) -> DataSource:  # noqa: ANN001, ANN003
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


def values(world) -> list:  # noqa: ANN001
    with org_scope(world.org):
        return sorted(
            MetricValue.objects.filter(kpi__key="deploys").values_list("period_date", "value")
        )


def test_a_json_source_is_pulled_into_the_kpi(acme, weekly, server):  # noqa: ANN001
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
    run = source_pull(org=acme.org, source_id=source.pk, slot=timezone.now())
    assert (run.status, run.rows_read, run.rows_written, run.error) == ("ok", 2, 2, "")
    assert values(acme) == [(dt.date(2026, 11, 9), 12.0), (dt.date(2026, 11, 16), 14.0)]
    # The same document again: nothing new.
    again = source_pull(org=acme.org, source_id=source.pk, slot=timezone.now())
    assert again.rows_written == 0 and len(values(acme)) == 2


def test_a_csv_upload_source_maps_its_columns(acme, weekly):  # noqa: ANN001
    source = make_source(
        acme, "", kind="csv", records_path="", csv_text="kpi,week,count\ndeploys,2026-11-09,7\n"
    )
    assert source_pull(org=acme.org, source_id=source.pk, slot=timezone.now()).status == "ok"
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
):  # noqa: ANN001, E501
    base, docs = server
    docs.routes["/d"] = (status, body)
    source = make_source(acme, f"{base}/d")
    run = source_pull(org=acme.org, source_id=source.pk, slot=timezone.now())
    assert run.status == "failed" and error in run.error
    assert values(acme) == []


def test_a_server_error_is_transient_and_recorded(acme, weekly, server):  # noqa: ANN001
    base, docs = server
    docs.routes["/d"] = (500, b"oops")
    source = make_source(acme, f"{base}/d")
    with pytest.raises(TransientSourceError):
        source_pull(org=acme.org, source_id=source.pk, slot=timezone.now())
    with org_scope(acme.org):
        run = IngestionRun.objects.get()
        source.refresh_from_db()
    assert run.status == "failed" and "HTTP 500" in run.error
    assert source.consecutive_failures == 1 and source.last_status == "failed"


def test_a_source_failing_three_times_running_is_flagged_to_its_data_owner(acme, weekly, server):  # noqa: ANN001
    base, docs = server
    docs.routes["/d"] = (200, b"{bad")
    source = make_source(acme, f"{base}/d")
    for _ in range(4):
        source_pull(org=acme.org, source_id=source.pk, slot=timezone.now())
    flagged = [m for m in mail.outbox if "keeps failing" in m.subject]
    assert len(flagged) == 1 and flagged[0].to == [acme.lead.user.email]


def test_the_auth_header_is_sent_and_never_shown(acme, weekly, server, client_for):  # noqa: ANN001
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


def test_claiming_due_sources_twice_pulls_once(acme, weekly, server):  # noqa: ANN001
    base, _ = server
    source = make_source(acme, f"{base}/d")
    now = timezone.now() + dt.timedelta(seconds=1)
    first = sources_claim_due(now=now)
    second = sources_claim_due(now=now)
    assert [c[1] for c in first] == [str(source.pk)] and second == []
    source.refresh_from_db()
    assert source.next_run_at > now


def test_sources_reject_a_bad_schedule_and_a_missing_url(acme):  # noqa: ANN001
    with pytest.raises(ValidationError) as error:
        make_source(acme, "http://127.0.0.1:1/x", interval_minutes=None, cron="every monday")
    assert "cron" in error.value.message_dict
    with pytest.raises(ValidationError) as error:
        make_source(acme, "", kind="json")
    assert "url" in error.value.message_dict


def test_only_admins_manage_sources(acme):  # noqa: ANN001
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


def test_a_cron_schedule_follows_the_organisations_time_zone(acme):  # noqa: ANN001
    from metrics.sources import next_run_after

    acme.org.timezone = "Europe/Berlin"
    source = DataSource(organization=acme.org, cron="0 6 * * *")
    after = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    assert next_run_after(source, after) == dt.datetime(2026, 11, 23, 5, 0, tzinfo=dt.UTC)
