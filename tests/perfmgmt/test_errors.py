"""Every error under /api/ is JSON; everywhere else it is the site's own page, never a 500 for
a body that is merely too large."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from perfmgmt.models import ApiKeyScope
from perfmgmt.services import api_key_create

BULK = "/api/v1/o/acme/values/bulk/"


@pytest.fixture
def key(acme) -> str:
    _, secret = api_key_create(
        org=acme.org, actor=acme.admin, name="warehouse", scope=ApiKeyScope.READ_WRITE
    )
    return secret


@pytest.fixture
def failing() -> Client:
    return Client(raise_request_exception=False)


def test_an_unknown_api_url_is_a_json_404(client) -> None:
    response = client.get("/api/v1/nothing-here/")
    assert response.status_code == 404
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"detail": "Not found."}


def test_a_wrong_method_on_the_api_is_a_json_405(acme, key) -> None:
    response = Client().delete(BULK, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 405
    assert "detail" in response.json()


@pytest.mark.urls("tests.perfmgmt.urls_failing")
def test_an_unhandled_exception_under_api_is_a_json_500_without_internals(failing) -> None:
    response = failing.get("/api/test/boom/")
    assert response.status_code == 500
    assert response.json() == {"detail": "Internal server error."}


@pytest.mark.urls("tests.perfmgmt.urls_failing")
def test_an_unhandled_exception_on_a_page_is_the_sites_500_page(failing) -> None:
    response = failing.get("/test/boom/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "Something went wrong" in page and 'class="topbar"' in page
    assert "secret internals" not in page


@pytest.mark.urls("tests.perfmgmt.urls_failing")
def test_a_lost_database_connection_is_a_503_to_retry(failing) -> None:
    api = failing.get("/api/test/database-gone/")
    assert api.status_code == 503 and api["Retry-After"] == "5"
    assert api.json() == {"detail": "The service is briefly unavailable; try again."}
    page = failing.get("/test/database-gone/")
    assert page.status_code == 503 and "Unavailable" in page.content.decode()
    assert "server closed" not in page.content.decode()


def test_an_unknown_page_is_the_sites_404_page(client, db) -> None:
    response = client.get("/no/such/page/")
    assert response.status_code == 404
    assert "Page not found" in response.content.decode()


def test_a_refusal_on_a_page_shows_its_reason(acme, client_for) -> None:
    response = client_for(acme.member).get("/o/acme/settings/")
    assert response.status_code == 403
    assert "Only admins change settings." in response.content.decode()


def test_an_oversize_body_is_a_json_413_with_or_without_an_idempotency_key(acme, key) -> None:
    body = b"[" + b" " * (32 * 1024 * 1024) + b"]"  # 32 MiB: over the API's and Django's limits
    for headers in ({}, {"HTTP_IDEMPOTENCY_KEY": "retry-1"}):
        response = Client().post(
            BULK,
            body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {key}",
            **headers,
        )
        assert response.status_code == 413, headers
        assert response.json() == {"detail": "The request body exceeds 16777216 bytes."}


def test_a_body_django_refuses_is_a_json_413_even_below_the_api_limit(acme, key, settings) -> None:  # noqa: E501
    # API_MAX_BODY_BYTES set above Django's own cap: the Idempotency-Key reader hits Django's.
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    body = json.dumps({"values": [{"kpi": "x", "period_date": "2026-01-05", "value": 1}] * 100})
    response = Client().post(
        BULK,
        body,
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {key}",
        HTTP_IDEMPOTENCY_KEY="big-1",
    )
    assert response.status_code == 413
    assert response.json() == {"detail": "The request body is too large."}


def test_a_too_large_form_post_is_a_413_page_not_a_500(acme, client_for, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    client = client_for(acme.admin)
    client.raise_request_exception = False
    response = client.post("/o/acme/settings/", {"name": "x" * 5000})
    assert response.status_code == 413
    assert "too large" in response.content.decode()


@pytest.mark.urls("tests.perfmgmt.urls_failing")
def test_with_debug_on_api_errors_are_still_json(failing, settings) -> None:
    settings.DEBUG = True  # `make run`: Django would answer with its HTML debug pages
    crashed = failing.get("/api/test/boom/")
    missing = failing.get("/api/v1/nothing-here/")
    assert (crashed.status_code, crashed.json()) == (500, {"detail": "Internal server error."})
    assert (missing.status_code, missing.json()) == (404, {"detail": "Not found."})
    assert "secret internals" not in crashed.content.decode()
    assert failing.get("/test/boom/")["Content-Type"].startswith("text/html")  # pages stay pages
