"""Every page of the site in Chromium, under the production CSP, at a desktop and a phone width.

The page fixture (tests/e2e/conftest.py) fails a test on any CSP violation, any serious or
critical axe-core violation and any page that scrolls sideways; these tests make sure that
"any page a test visits" is every page — the routes are those the outsider walk fills — and
save each at 1440 px and at 390 px in test-artifacts/ for a person to look at. The other roles
walk what their navigation offers them at a phone's width.
"""

from __future__ import annotations

import re

import pytest

from tests.e2e.conftest import PHONE, log_in
from tests.perfmgmt.test_outsider_walk import acme_objects, all_routes, fill  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = ["accounts/login/", "accounts/password/reset/"]
SIGNED_IN_PAGES = ["", "accounts/password/change/", "accounts/two-factor/", "api/docs/"]


def label(route: str) -> str:
    """A screenshot's name from the route it shows: o/<slug:org_slug>/kpis/<uuid:kpi_id>/ →
    kpis-kpi_id."""
    route = route.replace("o/<slug:org_slug>/", "")
    route = re.sub(r"<\w+:(\w+)>", r"\1", route)
    return re.sub(r"[^a-z0-9_]+", "-", route.lower()).strip("-") or "home"


def test_every_page_at_desktop_and_phone_width(
    acme,
    acme_objects,  # noqa: F811
    page,
    client_for,
    screenshot,
):
    for route in PUBLIC_PAGES:
        assert page.goto(f"/{route}").status == 200, route
        screenshot(label(route))
    log_in(page, acme.admin.user.username)
    page.wait_for_url("**/o/acme/dashboard/")
    client = client_for(acme.admin)
    org_routes = [r for r in all_routes() if "<slug:org_slug>" in r and not r.startswith("api/")]
    visited = 0
    for route in SIGNED_IN_PAGES + org_routes:
        url = fill(route, "acme", acme_objects)
        answer = client.get(url)
        if answer.status_code != 200 or "attachment" in answer.get("Content-Disposition", ""):
            continue  # takes POST only (revoking a key), or a download: no page to show
        if answer.get("Content-Type", "").split(";")[0] != "text/html":
            continue  # a file shown inline (a pack's PDF)
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("networkidle")
        screenshot(label(route))
        visited += 1
    assert visited >= 25


@pytest.mark.parametrize("role", ["executive", "finance", "lead", "member", "viewer"])
def test_each_role_finds_its_way_on_a_phone(acme, acme_objects, page, role):  # noqa: F811
    """Each role, at 390 px: the menu opens, and every page it offers loads and is usable."""
    page.set_viewport_size(PHONE)
    log_in(page, getattr(acme, role).user.username)
    page.wait_for_load_state("networkidle")
    menu = page.get_by_role("button", name="Menu")
    menu.click()
    nav = page.get_by_role("navigation", name="Organisation")
    links = nav.get_by_role("link")
    assert links.first.is_visible()
    hrefs = [links.nth(i).get_attribute("href") for i in range(links.count())]
    assert hrefs, f"{role} has no pages in the menu"
    for href in hrefs:
        response = page.goto(href)
        assert response is not None and response.status == 200, href
        page.wait_for_load_state("networkidle")
