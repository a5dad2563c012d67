"""The guarded outbound client: internal addresses refused before any connection (also after a
redirect), the allow-list for internal sources, and run-log errors without internals.

Real HTTP servers on loopback; OUTBOUND_ALLOWED_NETWORKS is set per test the way production
has it (empty: nothing internal) or with the one address a test allows.
"""

from __future__ import annotations

import http.server
import ipaddress
import json
import socket
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from django.core.exceptions import ValidationError

from metrics.models import IngestionRun, MetricValue
from metrics.sources import source_pull, source_save
from perfmgmt import outbound
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory


@dataclass
class Server:
    host: str
    port: int
    routes: dict[str, tuple[int, dict[str, str], bytes]] = field(default_factory=dict)
    hits: list[tuple[str, str, dict[str, str]]] = field(default_factory=list)

    def url(self, path: str) -> str:
        return f"http://{self.host}:{self.port}{path}"


def serve(host: str) -> Iterator[Server]:
    httpd = http.server.ThreadingHTTPServer((host, 0), http.server.BaseHTTPRequestHandler)
    server = Server(host=host, port=httpd.server_port)

    class Handler(http.server.BaseHTTPRequestHandler):
        def answer(self) -> None:
            server.hits.append((self.command, self.path, dict(self.headers)))
            status, headers, body = server.routes.get(self.path, (404, {}, b"not found"))
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = answer  # noqa: N815

        def log_message(self, *args) -> None:
            pass

    httpd.RequestHandlerClass = Handler
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield server
    httpd.shutdown()
    httpd.server_close()


@pytest.fixture
def first() -> Iterator[Server]:
    yield from serve("127.0.0.1")


@pytest.fixture
def second() -> Iterator[Server]:
    yield from serve("127.0.0.2")  # all of 127.0.0.0/8 is loopback on Linux


@pytest.fixture
def production(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = []


def get(url: str, **kwargs) -> outbound.OutboundResponse:
    return outbound.request("GET", url, timeout=5, **kwargs)


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1",
        "10.1.2.3",
        "172.16.0.1",
        "192.168.1.1",
        "169.254.169.254",  # the cloud metadata service
        "100.64.0.1",  # shared address space (carrier NAT)
        "0.0.0.0",
        "224.0.0.1",
        "::1",
        "fe80::1",
        "fd00:ec2::254",  # AWS metadata over IPv6
        "::ffff:127.0.0.1",  # loopback disguised as IPv6
    ],
)
def test_internal_addresses_are_refused(address, production):
    assert outbound.address_refusal(ipaddress.ip_address(address)) is not None


@pytest.mark.parametrize("address", ["93.184.216.34", "2606:4700::1111", "8.8.8.8"])
def test_public_addresses_are_allowed(address, production):
    assert outbound.address_refusal(ipaddress.ip_address(address)) is None


def test_loopback_is_refused_before_any_connection(first, production):
    first.routes["/ok"] = (200, {}, b"hello")
    with pytest.raises(outbound.OutboundRefused, match="loopback"):
        get(first.url("/ok"))
    with pytest.raises(outbound.OutboundRefused, match="loopback"):
        get(f"http://localhost:{first.port}/ok")
    assert first.hits == []


def test_a_redirect_to_an_internal_address_is_refused(first, second, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]  # the first server only
    first.routes["/values"] = (302, {"Location": second.url("/secret")}, b"")
    first.routes["/metadata"] = (
        301,
        {"Location": "http://169.254.169.254/latest/meta-data/"},
        b"",
    )
    with pytest.raises(outbound.OutboundRefused, match="127.0.0.2 leads to a loopback"):
        get(first.url("/values"))
    with pytest.raises(outbound.OutboundRefused, match="link-local"):
        get(first.url("/metadata"))
    assert second.hits == []


def test_an_allowed_network_is_reached_and_redirects_are_followed(first, second, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.0/8"]
    first.routes["/start"] = (307, {"Location": second.url("/end")}, b"")
    second.routes["/end"] = (200, {}, b'{"ok": true}')
    response = get(first.url("/start"), headers={"Authorization": "Token s3cret"})
    assert (response.status, response.body, response.host) == (200, b'{"ok": true}', "127.0.0.2")
    # The credentials went to the origin they were given for, not to the redirect's target.
    assert first.hits[0][2]["Authorization"] == "Token s3cret"
    assert "Authorization" not in second.hits[0][2]


def test_redirects_are_limited(first, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    first.routes["/loop"] = (302, {"Location": "/loop"}, b"")
    with pytest.raises(outbound.OutboundRefused, match="redirects"):
        get(first.url("/loop"))
    assert len(first.hits) == settings.OUTBOUND_MAX_REDIRECTS + 1


def test_a_name_that_resolves_to_an_internal_address_is_refused(first, production, monkeypatch):
    # A public-looking name whose DNS answer is loopback (as in a rebinding attack): the check
    # is made on the address the socket would connect to.
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        return real("127.0.0.1" if host == "data.example.com" else host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(outbound.OutboundRefused, match="data.example.com leads to a loopback"):
        get(f"http://data.example.com:{first.port}/ok")
    assert first.hits == []


def test_only_http_and_https_are_called(production):
    for url in ("file:///etc/passwd", "gopher://example.com/", "ftp://example.com/x", "http:///x"):
        with pytest.raises(outbound.OutboundRefused, match="Only http"):
            get(url)


def test_an_unreachable_host_is_named_without_internals(settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()  # nothing listens there now
    with pytest.raises(outbound.OutboundUnreachable) as caught:
        get(f"http://127.0.0.1:{port}/x?token=abc")
    assert str(caught.value) == "Could not reach 127.0.0.1: the connection failed."


def test_a_body_over_the_limit_is_refused(first, settings):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    first.routes["/big"] = (200, {}, b"x" * 2000)
    with pytest.raises(outbound.OutboundRefused, match="larger than 1000 bytes"):
        get(first.url("/big"), max_bytes=1000)


# --- the callers: data-source pulls and the organisation's webhook --------------------------


def source_fields(acme, url: str) -> dict:
    return {
        "name": "Warehouse",
        "kind": "json",
        "url": url,
        "records_path": "data",
        "kpi_field": "kpi",
        "date_field": "week",
        "value_field": "count",
        "interval_minutes": 60,
        "data_owner": acme.lead.user,
    }


@pytest.mark.parametrize(
    "url",
    ["http://127.0.0.1:8000/x", "http://10.0.0.5/values.json", "http://169.254.169.254/latest/"],
)
def test_a_source_with_an_internal_url_is_refused_when_saved(acme, production, url):
    with pytest.raises(ValidationError) as caught:
        source_save(org=acme.org, actor=acme.admin, **source_fields(acme, url))
    assert "OUTBOUND_ALLOWED_NETWORKS" in caught.value.message_dict["url"][0]


def test_a_pull_redirected_to_loopback_fails_cleanly_and_writes_nothing(
    acme, acme_cascade, first, second, settings
):
    KpiFactory(organization=acme.org, key="deploys", cadence="weekly")
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    source = source_save(org=acme.org, actor=acme.admin, **source_fields(acme, first.url("/d")))
    first.routes["/d"] = (302, {"Location": second.url("/d")}, b"")
    second.routes["/d"] = (
        200,
        {},
        json.dumps({"data": [{"kpi": "deploys", "week": "2026-11-09", "count": 1}]}).encode(),
    )
    with org_scope(acme.org):
        run = IngestionRun.objects.create(
            organization=acme.org, source=source, slot=source.next_run_at
        )
        before = MetricValue.objects.count()
    result = source_pull(org=acme.org, run_id=run.pk)
    assert result.run is not None and result.run.status == "failed"
    assert result.retry is None, "a refused address is not retried"
    assert result.run.error == (
        "127.0.0.2 leads to a loopback address, which outbound requests may not reach. "
        "An internal source must be allowed in OUTBOUND_ALLOWED_NETWORKS."
    )
    assert second.hits == []
    with org_scope(acme.org):
        assert MetricValue.objects.count() == before


def test_an_unreachable_source_is_logged_without_internals_and_retried(
    acme, acme_cascade, settings
):
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    probe = socket.socket()
    probe.bind(("127.0.0.1", 0))
    port = probe.getsockname()[1]
    probe.close()
    url = f"http://127.0.0.1:{port}/v.json?api_token=hunter2"
    source = source_save(org=acme.org, actor=acme.admin, **source_fields(acme, url))
    with org_scope(acme.org):
        run = IngestionRun.objects.create(
            organization=acme.org, source=source, slot=source.next_run_at
        )
    result = source_pull(org=acme.org, run_id=run.pk)
    assert result.run is not None
    assert result.run.error == "Could not reach 127.0.0.1: the connection failed."
    assert result.retry is not None


def test_the_webhook_field_refuses_an_internal_address(acme, client_for, production):
    response = client_for(acme.admin).post(
        "/o/acme/settings/",
        {
            "name": "Acme",
            "timezone": "UTC",
            "fiscal_year_start_month": 1,
            "checkin_weekday": 4,
            "checkin_hour": 10,
            "slack_webhook_url": "http://169.254.169.254/latest/meta-data/",
        },
    )
    assert response.status_code == 400
    assert "link-local" in response.content.decode()
    acme.org.refresh_from_db()
    assert acme.org.slack_webhook_url == ""
