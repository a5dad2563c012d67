from __future__ import annotations

import pytest

from tests.e2e.conftest import log_in
from tests.factories import MetricValueFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_an_executive_reads_the_dashboard_explores_the_cascade_and_opens_a_chart(
    acme, acme_cascade, page, screenshot
):
    kpi = acme_cascade.kpi
    kpi.is_key = True
    kpi.save()
    for month, value in ((2, 80), (3, 86), (4, 91)):
        MetricValueFactory(kpi=kpi, period_date=f"2026-0{month}-01", value=value)

    log_in(page, acme.executive.user.username)
    page.wait_for_url("**/o/acme/dashboard/")
    card = page.locator("article.kpi-card", has_text=kpi.name)
    assert card.is_visible() and "At risk" in card.inner_text()
    page.locator("#attainment-chart .main-svg").first.wait_for()  # plotly drew the chart
    assert page.locator("#attainment-chart .bars .point").count() == 1
    screenshot("dashboard")

    page.goto("/o/acme/explorer/")
    page.evaluate("window.__sameDocument = true")
    page.get_by_role("button", name=f"▸ {acme_cascade.priority.title}").click()
    page.get_by_text(acme_cascade.objective.title).wait_for()
    screenshot("explorer-expanded")
    page.get_by_label("Status").select_option("red")
    page.get_by_text("Nothing matches").or_(page.locator(".priority-row")).first.wait_for()
    page.wait_for_function("() => location.search.includes('status=red')")
    assert page.evaluate("window.__sameDocument") is True  # expanded and filtered in place
    screenshot("explorer-filtered")

    page.goto("/o/acme/explorer/")
    page.get_by_role("button", name=f"▸ {acme_cascade.priority.title}").click()
    page.get_by_role("link", name=kpi.name).click()
    page.wait_for_url(f"**/kpis/{kpi.pk}/")
    page.locator("#kpi-chart .main-svg").first.wait_for()
    assert page.locator("#kpi-chart .scatterlayer .trace").count() >= 2  # actual + target
    screenshot("kpi-chart")

    page.goto("/o/acme/exceptions/")
    page.locator("#exceptions").wait_for()
    screenshot("exceptions")
    page.goto("/o/acme/map/")
    page.locator("svg").first.wait_for()
    screenshot("strategy-map")


def test_the_cascade_expands_and_collapses_from_the_keyboard(acme, acme_cascade, page, screenshot):  # noqa: E501
    log_in(page, acme.executive.user.username)
    page.wait_for_url("**/o/acme/dashboard/")
    page.goto("/o/acme/explorer/")
    page.evaluate("window.__sameDocument = true")
    toggle = f"#toggle-{acme_cascade.priority.pk}"
    page.focus(toggle)
    page.keyboard.press("Space")
    page.get_by_text(acme_cascade.objective.title).wait_for()
    assert page.get_attribute(toggle, "aria-expanded") == "true"
    assert page.evaluate("document.activeElement.id") == toggle[1:]  # focus kept after the swap
    screenshot("expanded-by-keyboard")
    page.keyboard.press("Enter")
    page.get_by_text(acme_cascade.objective.title).wait_for(state="detached")
    assert page.get_attribute(toggle, "aria-expanded") == "false"
    assert page.evaluate("window.__sameDocument") is True
