"""Walk every URL pattern of the project as an outsider and expect 404 for org-A objects.

New URLs are covered automatically: a pattern that is not under /o/<org_slug>/ must be listed in
UNSCOPED with the reason it is safe, and every URL parameter must be fillable from org A's world.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.test import APIClient

from metrics.sources import source_save
from perfmgmt.services import api_key_create
from reviews.packs.services import pack_build, pack_request
from reviews.services import action_create, meeting_create, risk_add
from tests.people.conftest import build_people

# Patterns outside /o/<org_slug>/, each with why an outsider can reach it.
UNSCOPED = {
    "": "the organisation picker lists only the user's own memberships",
    "healthz": "reports database reachability, no tenant data",
    "accounts/login/": "authentication",
    "accounts/logout/": "authentication",
    "oidc/authenticate/": "single sign-on: sends the browser to the provider (404 when off)",
    "oidc/callback/": "single sign-on: signs in only the account of a provider-verified email",
    "accounts/two-factor/": "the signed-in person's own authenticator app only",
    "accounts/two-factor/verify/": "checks a code against the signed-in person's own app",
    "accounts/password/change/": "changes the signed-in person's own password only",
    "accounts/password/change/done/": "a confirmation page, no data",
    "accounts/password/reset/": "asks for an email; answers the same whether it is known or not",
    "accounts/password/reset/sent/": "a confirmation page, no data",
    "accounts/reset/<uidb64>/<token>/": "works only with the signed token from the reset email",
    "accounts/reset/done/": "a confirmation page, no data",
    "admin/": "the operator's admin, superusers only",
    "api/schema/": "the OpenAPI document: needs a login or key, holds no tenant data",
    "api/docs/": "Swagger UI for that document: needs a login or key",
    "api/": "the JSON 404 for any /api/ URL no other route matched: answers only 'Not found.'",
}


def walk(patterns, prefix: str = ""):
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if isinstance(entry, URLResolver):
            if any(route.startswith(u) and u.endswith("/") and u for u in ("admin/",)):
                yield route, None
                continue
            yield from walk(entry.url_patterns, route)
        elif isinstance(entry, URLPattern):
            yield route, entry


def all_routes() -> list[str]:
    return [route for route, _ in walk(get_resolver().url_patterns)]


def fill(route: str, org_slug: str, objects: dict[str, str]) -> str:
    url = "/" + route.replace("<slug:org_slug>", org_slug)
    for name, value in objects.items():
        url = url.replace(f"<uuid:{name}>", value).replace(f"<int:{name}>", value)
    assert "<" not in url, f"no value to fill {url!r}: add the parameter to the walk"
    return url


@pytest.fixture
def acme_objects(acme, acme_cascade, settings, tmp_path) -> dict[str, str]:
    settings.MEDIA_ROOT = tmp_path / "media"
    pack, _ = pack_request(org=acme.org, actor=acme.finance, month=dt.date(2026, 10, 1))
    pack_build(org=acme.org, pack_id=pack.pk)  # a ready pack: its downloads are real URLs
    key, _ = api_key_create(org=acme.org, actor=acme.admin, name="walk")
    meeting = meeting_create(
        org=acme.org, actor=acme.admin, kind="monthly", held_on=dt.date(2026, 11, 20)
    )
    action = action_create(
        org=acme.org,
        actor=acme.admin,
        meeting=meeting,
        title="Fix it",
        owner=acme.lead.user,
        due_date=dt.date(2026, 12, 1),
    )
    risk = risk_add(
        org=acme.org,
        actor=acme.admin,
        objective=acme_cascade.objective,
        description="Churn",
        likelihood="high",
    )
    source = source_save(
        org=acme.org,
        actor=acme.admin,
        name="Warehouse",
        kind="json",
        url="http://127.0.0.1:9/values.json",
        interval_minutes=60,
        data_owner=acme.admin.user,
    )
    people = build_people(acme)  # a 1:1 and a plan about the lead's team member
    return {
        "one_on_one_id": str(people.meeting.pk),
        "plan_id": str(people.plan.pk),
        "assessment_id": str(people.lead_assessment.pk),
        "source_id": str(source.pk),
        "key_id": str(key.pk),
        "meeting_id": str(meeting.pk),
        "action_id": str(action.pk),
        "risk_id": str(risk.pk),
        "priority_id": str(acme_cascade.priority.pk),
        "objective_id": str(acme_cascade.objective.pk),
        "kpi_id": str(acme_cascade.kpi.pk),
        "target_id": str(acme_cascade.target.pk),
        "pack_id": str(pack.pk),
    }


def test_every_pattern_is_scoped_or_listed_with_a_reason():
    unlisted = [
        route for route in all_routes() if "<slug:org_slug>" not in route and route not in UNSCOPED
    ]
    assert unlisted == []


def test_an_outsider_gets_404_on_every_org_url(acme_objects, globex, client_for):
    client = client_for(globex.admin)
    routes = [r for r in all_routes() if "<slug:org_slug>" in r]
    assert len(routes) >= 9
    for route in routes:
        url = fill(route, "acme", acme_objects)
        for method in ("get", "post"):
            response = getattr(client, method)(url)
            assert response.status_code == 404, (
                f"{method.upper()} {url} gave {response.status_code}"
            )


def test_org_a_objects_are_404_inside_org_b(acme_objects, globex, client_for):
    """A member of B who puts A's object ids under B's own slug sees nothing either."""
    client = client_for(globex.admin)
    routes = [
        r
        for r in all_routes()
        if "<slug:org_slug>" in r and any(f"<uuid:{k}>" in r for k in acme_objects)
    ]
    assert routes
    for route in routes:
        url = fill(route, "globex", acme_objects)
        for method in ("get", "post", "patch", "put"):
            response = getattr(client, method)(url)
            # 405 names the method, not the object: an API detail URL takes no POST at all.
            allowed = (404,) if method == "get" else (404, 405)
            assert response.status_code in allowed, (
                f"{method.upper()} {url}: {response.status_code}"
            )


# The people layer's records are their people's, not the admin's: its pages are walked as the
# lead of the member they are about (the admin-only pages there still as the admin).
PEOPLE_ADMIN_ROUTES = ("partners/", "settings/", "values/")


def test_the_same_urls_work_for_a_member(acme, acme_objects, client_for):
    """The walk is only meaningful if the URLs it fills are real pages for an insider."""
    admin, lead = client_for(acme.admin), client_for(acme.lead)
    for route in all_routes():
        if "<slug:org_slug>" not in route:
            continue
        url = fill(route, "acme", acme_objects)
        people = "/people/" in url and not url.endswith(PEOPLE_ADMIN_ROUTES)
        client = lead if people else admin
        # 405: the URL exists but takes POST only (bulk ingestion, revoking a key); 302 within
        # the organisation: a piece of a page (an explorer row) opened as a page itself.
        answer = client.get(url)
        moved_within = answer.status_code == 302 and answer["Location"].startswith("/o/acme/")
        assert answer.status_code in (200, 405) or moved_within, url


def test_an_anonymous_visitor_is_sent_to_log_in(acme_objects, client):
    for route in all_routes():
        if "<slug:org_slug>" not in route:
            continue
        response = client.get(fill(route, "acme", acme_objects))
        if route.startswith("api/"):
            assert response.status_code == 401 and "Bearer" in response["WWW-Authenticate"]
        else:
            assert response.status_code == 302
            assert response["Location"].startswith("/accounts/login/")


def test_an_api_key_of_another_organisation_gets_404_everywhere(acme_objects, globex):
    _, secret = api_key_create(
        org=globex.org, actor=globex.admin, name="outsider", scope="read_write"
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    routes = [r for r in all_routes() if r.startswith("api/") and "<slug:org_slug>" in r]
    assert len(routes) >= 10
    for route in routes:
        for slug in ("acme", "globex"):
            if slug == "globex" and not any(f"<uuid:{k}>" in route for k in acme_objects):
                continue  # B's own collection URLs are B's business
            url = fill(route, slug, acme_objects)
            for method in ("get", "post", "patch", "put"):
                response = getattr(client, method)(url, {}, format="json")
                assert response.status_code in (404, 405), f"{method} {url}: {response.status_code}"
                if method == "get" and slug == "acme":
                    assert response.status_code == 404, url
