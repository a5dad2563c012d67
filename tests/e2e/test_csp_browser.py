"""Every page of the site, loaded in Chromium under the production CSP: nothing blocked.

The page fixture (tests/e2e/conftest.py) fails the test on any CSP violation; this test makes
sure that "any page a test visits" is every page: the routes are those the outsider walk fills.
"""

from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in
from tests.perfmgmt.test_outsider_walk import acme_objects, all_routes, fill  # noqa: F401

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

PUBLIC_PAGES = ["/accounts/login/", "/accounts/password/reset/"]
SIGNED_IN_PAGES = ["/", "/accounts/password/change/", "/accounts/two-factor/", "/api/docs/"]


def test_every_page_loads_without_a_csp_violation(acme, acme_objects, page, client_for):  # noqa: F811
    for url in PUBLIC_PAGES:
        assert page.goto(url).status == 200, url
    log_in(page, acme.admin.user.username)
    page.wait_for_url("**/o/acme/dashboard/")
    client = client_for(acme.admin)
    pages = [
        fill(route, "acme", acme_objects)
        for route in all_routes()
        if "<slug:org_slug>" in route and not route.startswith("api/")
    ]
    visited = 0
    for url in SIGNED_IN_PAGES + pages:
        answer = client.get(url)
        if answer.status_code != 200 or "attachment" in answer.get("Content-Disposition", ""):
            continue  # takes POST only (revoking a key), or a download: no page to show
        response = page.goto(url)
        assert response is not None and response.status == 200, url
        page.wait_for_load_state("networkidle")
        visited += 1
    assert visited >= 20
