"""`next=` on a POST is followed only to a path on this site; the write is never followed by
a 500, whatever the parameter says."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import RequestFactory

from perfmgmt.http import safe_next
from perfmgmt.tenancy import org_scope
from reviews import services
from reviews.models import ActionItem
from tests.factories import KpiFactory

UNSAFE = [
    "https://evil.example",
    "//evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "evil",
    "javascript:alert(1)",
    "",
    "http://testserver.evil.example/",
]


@pytest.mark.parametrize("candidate", UNSAFE)
def test_safe_next_falls_back_on_anything_but_a_local_path(candidate: str) -> None:
    request = RequestFactory().post("/x/", {"next": candidate})
    assert safe_next(request, "/home/") == "/home/"


def test_safe_next_keeps_a_local_path_with_its_query() -> None:
    request = RequestFactory().post("/x/", {"next": "/o/acme/dashboard/?view=lead"})
    assert safe_next(request, "/home/") == "/o/acme/dashboard/?view=lead"


def test_safe_next_refuses_plain_http_on_a_secure_request() -> None:
    request = RequestFactory().post("/x/", {"next": "http://testserver/o/"}, secure=True)
    assert safe_next(request, "/home/") == "/home/"


@pytest.mark.parametrize("candidate", UNSAFE)
def test_the_pin_post_never_leaves_the_site(acme, acme_cascade, client_for, candidate):  # noqa: E501
    kpi = KpiFactory(organization=acme.org, objective=acme_cascade.objective)
    response = client_for(acme.member).post(f"/o/acme/kpis/{kpi.pk}/pin/", {"next": candidate})
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/dashboard/"


def test_the_pin_post_returns_to_the_page_it_came_from(acme, acme_cascade, client_for) -> None:
    kpi = KpiFactory(organization=acme.org, objective=acme_cascade.objective)
    response = client_for(acme.member).post(
        f"/o/acme/kpis/{kpi.pk}/pin/", {"next": "/o/acme/dashboard/?view=executive"}
    )
    assert response["Location"] == "/o/acme/dashboard/?view=executive"


@pytest.fixture
def action(acme) -> ActionItem:
    with org_scope(acme.org):
        return services.action_create(
            org=acme.org,
            actor=acme.executive,
            title="Rebuild pipeline",
            owner=acme.member.user,
            due_date=dt.date(2030, 1, 1),
            objective=None,
        )


@pytest.mark.parametrize("candidate", UNSAFE)
def test_the_action_status_post_never_leaves_the_site(acme, action, client_for, candidate):  # noqa: E501
    response = client_for(acme.member).post(
        f"/o/acme/actions/{action.pk}/status/", {"status": "done", "next": candidate}
    )
    assert response.status_code == 302
    assert response["Location"] == "/o/acme/owe/"
    action.refresh_from_db()
    assert action.status == "done"
