from __future__ import annotations

import pytest
from django_scopes import scopes_disabled

from metrics.forecasting.series import shift_period
from metrics.forecasting.services import kpi_forecast_refresh
from metrics.models import KpiLink
from perfmgmt.periods import org_today
from tests.e2e.conftest import log_in
from tests.factories import KpiFactory, MetricValueFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_kpi_chart_draws_the_forecast_band_and_offers_past_forecasts(
    acme, acme_cascade, page, screenshot
):
    kpi = KpiFactory(organization=acme.org, name="Orders", objective=acme_cascade.objective)
    first = org_today(acme.org).replace(day=1)
    for months_ago in range(1, 25):
        day = shift_period("monthly", first, -months_ago)
        MetricValueFactory(kpi=kpi, period_date=day, value=60 + (24 - months_ago) * 1.5)
    kpi_forecast_refresh(org=acme.org, kpi_id=kpi.pk)
    MetricValueFactory(kpi=kpi, period_date=first, value=97)
    kpi_forecast_refresh(org=acme.org, kpi_id=kpi.pk)  # a second version: the first is past

    log_in(page, acme.executive.user.username)
    page.goto(f"/o/acme/kpis/{kpi.pk}/")
    page.locator("#kpi-chart .main-svg").first.wait_for()
    legend = page.locator("#kpi-chart .legend").text_content()
    assert "Forecast (" in legend and "80 % band" in legend and "95 % band" in legend
    assert "Forecast v1" in legend  # earlier forecast, hidden until chosen
    dashed = page.locator("#kpi-chart .scatterlayer .trace path.js-line[style*='dasharray']")
    assert dashed.count() == 1  # the forecast (this KPI has no target line)
    screenshot("kpi-forecast")


@pytest.mark.parametrize("name", ["exceptions", "lead-lag", "health"])
def test_the_foresight_pages_fit_a_phone(acme, acme_cascade, page, screenshot, name):
    lead = KpiFactory(organization=acme.org, name="Pipeline", kind="lead")
    with scopes_disabled():
        KpiLink.objects.create(organization=acme.org, lead=lead, lag=acme_cascade.kpi)
    log_in(page, acme.executive.user.username)
    page.set_viewport_size({"width": 390, "height": 844})
    page.goto(f"/o/acme/{name}/")
    page.locator("h1").wait_for()
    screenshot("390")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"/{name}/ scrolls sideways at 390 px ({width} px)"
