"""The API body limit against real HTTP servers: Django's own (what `live_server` and
runserver use) and gunicorn (production). The size is judged from Content-Length before any
byte of the body is read; a chunked body is refused with 411 by both alike."""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from tests.faults.appserver import AppServer, current_database_url

BULK = "/api/v1/o/acme/values/bulk/"
pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def gunicorn() -> Iterator[tuple[str, int]]:
    app = AppServer(database_url=current_database_url())
    app.start()
    yield "127.0.0.1", app.port
    app.stop()


@pytest.fixture
def django_server(live_server) -> tuple[str, int]:
    url = urlsplit(live_server.url)
    return url.hostname, url.port


@pytest.fixture(params=["django", "gunicorn"])
def server(request) -> tuple[str, int]:
    return request.getfixturevalue("django_server" if request.param == "django" else "gunicorn")


OVERSIZE_HEADERS = {
    "Content-Type": "application/json",
    "Content-Length": str(32 * 1024 * 1024),
    "Idempotency-Key": "retry-1",
    "Authorization": "Bearer pm_nothing_here",
}
TOO_LARGE = {"detail": "The request body exceeds 16777216 bytes."}


def test_an_announced_oversize_body_is_refused_before_it_is_sent(gunicorn) -> None:
    # Only the headers go out: had anything waited for the 32 MiB, this would time out.
    conn = http.client.HTTPConnection(*gunicorn, timeout=5)
    conn.putrequest("POST", BULK)
    for name, value in OVERSIZE_HEADERS.items():
        conn.putheader(name, value)
    conn.endheaders()
    response = conn.getresponse()
    assert response.status == 413
    assert response.getheader("Content-Type") == "application/json"
    assert json.loads(response.read()) == TOO_LARGE
    conn.close()


def test_an_oversize_body_with_an_idempotency_key_is_a_json_413(django_server) -> None:
    # Django's own server reads (and drops) an unread body before it answers, so send it all.
    conn = http.client.HTTPConnection(*django_server, timeout=30)
    conn.request("POST", BULK, body=b" " * (32 * 1024 * 1024), headers=OVERSIZE_HEADERS)
    response = conn.getresponse()
    assert response.status == 413
    assert json.loads(response.read()) == TOO_LARGE
    conn.close()


def test_a_chunked_body_is_refused_with_411(server) -> None:
    body = json.dumps({"values": []}).encode()
    request = (
        f"POST {BULK} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        "Transfer-Encoding: chunked\r\n\r\n"
    ).encode() + b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    # One write: a server that answers after the headers may close before a second one.
    with socket.create_connection(server, timeout=5) as sock:
        sock.sendall(request)
        response = http.client.HTTPResponse(sock)
        response.begin()
        assert response.status == 411
        assert "Content-Length" in json.loads(response.read())["detail"]
