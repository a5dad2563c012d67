from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_executive_logs_in_and_reads_the_cascade(acme, acme_cascade, page, screenshot):
    log_in(page, acme.executive.user.username)
    page.wait_for_url("**/o/acme/dashboard/")
    page.goto("/o/acme/")
    assert page.get_by_role("heading", name="Strategy cascade").is_visible()
    assert page.get_by_text(acme_cascade.priority.title).is_visible()
    assert page.get_by_text(acme_cascade.objective.title).is_visible()
    assert page.get_by_role("link", name=acme_cascade.kpi.name).is_visible()
    screenshot("cascade")
    page.get_by_role("link", name=acme_cascade.kpi.name).click()
    page.wait_for_url(f"**/kpis/{acme_cascade.kpi.pk}/")
    assert page.get_by_role("heading", name=acme_cascade.kpi.name).is_visible()
