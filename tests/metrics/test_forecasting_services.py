"""Stored forecasts, their track record and link evidence, on the real database."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest
from django.http import Http404
from django.template.loader import render_to_string
from django.utils import timezone
from django_scopes import scopes_disabled

from metrics.forecasting.hooks import (
    FORECAST_DEBOUNCE_SECONDS,
    KPI_FORECAST_TASK,
    forecast_refreshes_claim,
)
from metrics.forecasting.outlook import Outlook
from metrics.forecasting.selectors import (
    kpi_forecast_accuracy,
    kpi_forecast_chart,
    kpi_forecast_latest,
    kpi_foresight,
    kpi_lead_suggestions,
    kpi_outlooks,
    kpi_target_outlook,
    link_evidence_list,
)
from metrics.forecasting.series import shift_period
from metrics.forecasting.services import (
    forecast_accuracy_record,
    kpi_forecast_refresh,
    org_forecasts_refresh,
    org_links_refresh,
)
from metrics.models import (
    Forecast,
    ForecastAccuracy,
    ForecastPoint,
    KpiLink,
    LinkEvidence,
    LinkVerdict,
    MetricValue,
)
from metrics.tasks import (
    kpi_forecast_task,
    org_links_task,
)
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory, TargetFactory

START = dt.date(2023, 1, 1)


def fill(kpi, values, start=START, grade="audited"):
    with scopes_disabled():
        MetricValue.objects.bulk_create(
            MetricValue(
                organization=kpi.organization,
                kpi=kpi,
                period_date=shift_period(kpi.cadence, start, i),
                value=float(v),
                confidence=grade,
            )
            for i, v in enumerate(values)
        )


def link(lead, lag):
    with scopes_disabled():
        return KpiLink.objects.create(organization=lead.organization, lead=lead, lag=lag)


def trend(n, seed=1):
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 200 + 2 * t + 15 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 2, n)


def random_walk(n, seed):
    return 100 + np.cumsum(np.random.default_rng(seed).normal(0, 1, n))


@pytest.fixture
def revenue(acme):
    kpi = KpiFactory(organization=acme.org, key="revenue")
    fill(kpi, trend(36))
    return kpi


def test_a_forecast_is_stored_with_its_method_error_and_points(acme, revenue):
    forecast = kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)

    with acme.scope():
        points = list(forecast.points.order_by("horizon"))
    assert forecast.version == 1 and forecast.kpi_id == revenue.pk
    assert forecast.judged and forecast.mase is not None and forecast.method in forecast.candidates
    assert forecast.origin == dt.date(2025, 12, 1) and forecast.n_points == 36
    assert len(points) == 18 and points[0].period_date == dt.date(2026, 1, 1)
    assert all(
        math.isfinite(x) for p in points for x in (p.value, p.sd, p.lo80, p.hi80, p.lo95, p.hi95)
    )


def test_refreshing_the_same_values_makes_no_new_version(acme, revenue):
    first = kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)
    again = kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)

    with acme.scope():
        assert again.pk == first.pk and Forecast.objects.count() == 1
        assert ForecastPoint.objects.count() == 18


def test_a_new_value_makes_a_new_version_and_scores_the_old_one(acme, revenue):
    first = kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)
    first_point = kpi_forecast_latest(org=acme.org, kpi=revenue).points.all()[0]
    fill(revenue, [first_point.value + 10], start=dt.date(2026, 1, 1))

    second = kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)

    assert second.version == 2 and second.origin == dt.date(2026, 1, 1)
    with acme.scope():
        scored = ForecastPoint.objects.get(forecast=first, horizon=1)
    assert scored.actual == pytest.approx(first_point.value + 10)
    assert scored.scaled_error == pytest.approx(10 / first.scale)
    assert scored.smape == pytest.approx(
        200 * 10 / (abs(first_point.value + 10) + abs(first_point.value))
    )
    track = kpi_forecast_accuracy(org=acme.org, kpi=revenue)
    assert [(a.horizon, a.scored) for a in track] == [(1, 1)]
    assert track[0].mase == pytest.approx(scored.scaled_error)


def test_a_revised_actual_rescores_and_a_rerun_changes_nothing(acme, revenue):
    first = kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)
    fill(revenue, [300.0], start=dt.date(2026, 1, 1))
    kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)
    with scopes_disabled():
        MetricValue.objects.filter(kpi=revenue, period_date=dt.date(2026, 1, 1)).update(value=310)

    kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)
    kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)

    with acme.scope():
        point = ForecastPoint.objects.get(forecast=first, horizon=1)
        track = ForecastAccuracy.objects.get(kpi=revenue, horizon=1)
        # A changed value is a new version; the revised actual rescores the first one.
        assert Forecast.objects.filter(kpi=revenue).count() == 3
    assert point.actual == 310 and point.scaled_error == pytest.approx(
        abs(310 - point.value) / first.scale
    )
    assert track.scored == 1 and track.mase == pytest.approx(point.scaled_error)


def test_a_kpi_with_too_little_history_gets_a_stored_fallback(acme):
    kpi = KpiFactory(organization=acme.org)
    fill(kpi, [4, 5])

    forecast = kpi_forecast_refresh(org=acme.org, kpi_id=kpi.pk)

    with acme.scope():
        assert forecast.method == "none" and forecast.points.count() == 0
    assert "at least 3" in forecast.note


def test_another_organisations_kpi_cannot_be_forecast(acme, globex, revenue):
    with pytest.raises(Http404):
        kpi_forecast_refresh(org=globex.org, kpi_id=revenue.pk)
    with globex.scope():
        assert not Forecast.objects.exists()


def test_the_org_refresh_forecasts_only_its_own_kpis(acme, globex, revenue):
    theirs = KpiFactory(organization=globex.org)
    fill(theirs, trend(24, seed=3))

    made = org_forecasts_refresh(org=acme.org)

    assert [f.kpi_id for f in made] == [revenue.pk]
    with globex.scope():
        assert not Forecast.objects.exists()
    assert kpi_forecast_latest(org=globex.org, kpi=theirs) is None


def test_a_declining_kpi_is_flagged_will_miss_before_its_quarter_ends(acme):
    kpi = KpiFactory(organization=acme.org)
    rng = np.random.default_rng(5)
    fill(kpi, 120 - 1.5 * np.arange(30) + rng.normal(0, 1, 30), start=dt.date(2024, 1, 1))
    target = TargetFactory(
        kpi=kpi,
        period_start=dt.date(2026, 7, 1),
        period_end=dt.date(2026, 9, 30),
        value=80,
        green_threshold=80,
        amber_threshold=75,
    )
    kpi_forecast_refresh(org=acme.org, kpi_id=kpi.pk)

    outlook = kpi_target_outlook(org=acme.org, kpi=kpi, target=target)

    assert outlook.outlook == Outlook.WILL_MISS and outlook.probability < 0.2


def test_the_chart_has_the_band_and_past_forecasts_against_what_happened(acme, revenue):
    kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)
    fill(revenue, [280.0], start=dt.date(2026, 1, 1))
    kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)

    chart = kpi_forecast_chart(org=acme.org, kpi=revenue)

    assert chart["forecast"]["version"] == 2 and len(chart["forecast"]["points"]) == 18
    assert chart["past"][0]["points"][0]["actual"] == 280.0


# --- lead→lag evidence -----------------------------------------------------------------------


@pytest.fixture
def linked(acme):
    driver_values = random_walk(36, seed=1)
    delayed = np.concatenate([np.full(2, driver_values[0]), driver_values[:-2]])
    noise = np.cumsum(np.random.default_rng(2).normal(0, 0.4, 36))
    driver = KpiFactory(organization=acme.org, key="pipeline", kind="lead")
    bogus = KpiFactory(organization=acme.org, key="bogus", kind="lead")
    bookings = KpiFactory(organization=acme.org, key="bookings")
    fill(driver, driver_values)
    fill(bogus, random_walk(36, seed=9))
    fill(bookings, 50 + 0.8 * delayed + noise)
    return link(driver, bookings), link(bogus, bookings)


def test_the_true_driver_is_supported_and_the_bogus_link_is_not(acme, linked):
    true, bogus = linked

    org_links_refresh(org=acme.org)

    with acme.scope():
        assert LinkEvidence.objects.get(link=true).verdict == LinkVerdict.SUPPORTED
        assert LinkEvidence.objects.get(link=true).best_lag == 2
        assert LinkEvidence.objects.get(link=bogus).verdict == LinkVerdict.NOT_SUPPORTED
    assert len(link_evidence_list(org=acme.org)) == 2


def test_link_evidence_is_recomputed_only_when_the_values_change(acme, linked):
    true, _ = linked
    first = {e.link_id: e.computed_at for e in org_links_refresh(org=acme.org)}
    assert {e.link_id: e.computed_at for e in org_links_refresh(org=acme.org)} == first

    fill(true.lag, [999.0], start=dt.date(2026, 1, 1))
    again = {e.link_id: e.computed_at for e in org_links_refresh(org=acme.org)}

    assert again[true.pk] > first[true.pk]


def test_links_of_another_organisation_are_left_alone(acme, globex, linked):
    a, b = KpiFactory(organization=globex.org), KpiFactory(organization=globex.org)
    fill(a, random_walk(24, seed=4))
    fill(b, random_walk(24, seed=5))
    link(a, b)

    org_links_refresh(org=acme.org)

    with globex.scope():
        assert not LinkEvidence.objects.exists()
    with acme.scope():
        assert LinkEvidence.objects.count() == 2


def test_the_real_driver_is_suggested_for_a_lag_whose_declared_lead_is_bogus(acme, globex):
    driver_values = random_walk(48, seed=31)
    noise = np.cumsum(np.random.default_rng(32).normal(0, 0.5, 48))
    lag = KpiFactory(organization=acme.org, key="renewals")
    driver = KpiFactory(organization=acme.org, key="health-score", kind="lead")
    bogus = KpiFactory(organization=acme.org, key="bogus-lead", kind="lead")
    fill(lag, 50 + 0.8 * np.concatenate([[driver_values[0]], driver_values[:-1]]) + noise)
    fill(driver, driver_values)
    fill(bogus, random_walk(48, seed=33))
    link(bogus, lag)
    twin = KpiFactory(organization=globex.org)  # a perfect predictor, but not Acme's
    fill(twin, driver_values)
    org_links_refresh(org=acme.org)

    suggestions = kpi_lead_suggestions(org=acme.org, kpi=lag)

    assert [s.kpi_id for s in suggestions] == [driver.pk]
    assert suggestions[0].best_lag == 1
    with acme.scope():
        assert not KpiLink.objects.filter(lead=driver).exists()  # suggested, never applied


# --- tasks -----------------------------------------------------------------------------------


def test_the_forecast_task_takes_ids_and_is_safe_to_run_twice(acme, revenue):
    assert kpi_forecast_task(acme.org.pk, str(revenue.pk)).startswith("v1 ")
    assert kpi_forecast_task(acme.org.pk, str(revenue.pk)).startswith("v1 ")


def test_the_forecast_task_of_a_foreign_or_deleted_kpi_does_nothing(acme, globex, revenue):
    assert kpi_forecast_task(globex.org.pk, str(revenue.pk)) == "gone"


def test_the_link_task_stores_the_evidence(acme, linked):
    assert org_links_task(acme.org.pk) == 2


def test_values_arriving_in_a_burst_schedule_one_recompute_per_kpi(acme, globex, revenue):
    from metrics.ingestion import RawValue, values_ingest
    from metrics.models import ForecastRefresh

    for month in (1, 2, 3):  # a burst: three writes of the same KPI
        values_ingest(
            org=acme.org,
            rows=[RawValue(kpi=revenue.pk, period_date=dt.date(2027, month, 1), value=month)],
            source="api",
        )
    with org_scope(acme.org):
        assert ForecastRefresh.objects.filter(kpi=revenue).count() == 1
    assert forecast_refreshes_claim() == []  # not settled yet
    later = timezone.now() + dt.timedelta(seconds=FORECAST_DEBOUNCE_SECONDS + 1)
    assert forecast_refreshes_claim(now=later) == [(acme.org.pk, revenue.pk)]
    assert forecast_refreshes_claim(now=later) == []  # handed out once
    assert kpi_forecast_task.name == KPI_FORECAST_TASK
    unchanged = values_ingest(
        org=acme.org,
        rows=[RawValue(kpi=revenue.pk, period_date=dt.date(2027, 3, 1), value=3)],
        source="api",
    )
    assert unchanged.unchanged == 1
    with org_scope(acme.org):
        assert not ForecastRefresh.objects.exists()  # nothing changed: nothing to refresh


# --- the panel -------------------------------------------------------------------------------


def test_the_panel_shows_method_band_outlook_track_record_and_evidence(acme, linked):
    true, _ = linked
    bookings = true.lag
    TargetFactory(kpi=bookings, period_start=dt.date(2026, 1, 1), period_end=dt.date(2026, 3, 31))
    kpi_forecast_refresh(org=acme.org, kpi_id=bookings.pk)
    fill(bookings, [140.0], start=dt.date(2026, 1, 1))
    kpi_forecast_refresh(org=acme.org, kpi_id=bookings.pk)
    org_links_refresh(org=acme.org)

    foresight = kpi_foresight(org=acme.org, kpi=bookings)
    html = render_to_string(
        "metrics/partials/forecast_panel.html", {"foresight": foresight, "kpi": bookings}
    )

    assert foresight.forecast.version == 2 and len(foresight.accuracy) == 1
    assert "chosen on this KPI's own record" in html and 'id="kpi-forecast-data"' in html
    assert "Track record of past forecasts" in html
    assert "Supported by the data" in html and "Not supported by the data" in html
    assert "nan" not in html.lower()


def test_the_panel_of_a_kpi_without_forecast_says_when_one_comes(acme):
    kpi = KpiFactory(organization=acme.org)

    html = render_to_string(
        "metrics/partials/forecast_panel.html",
        {"foresight": kpi_foresight(org=acme.org, kpi=kpi), "kpi": kpi},
    )

    assert "No forecast yet" in html


def test_another_organisation_reads_and_scores_nothing_of_a_kpi(acme, globex, revenue, linked):
    kpi_forecast_refresh(org=acme.org, kpi_id=revenue.pk)
    fill(revenue, [300.0], start=dt.date(2026, 1, 1))
    org_links_refresh(org=acme.org)

    assert forecast_accuracy_record(org=globex.org, kpi=revenue) == []
    foresight = kpi_foresight(org=globex.org, kpi=revenue)

    assert foresight.forecast is None and foresight.accuracy == [] and foresight.evidence == []
    assert kpi_forecast_chart(org=globex.org, kpi=revenue) == {"forecast": None, "past": []}
    with acme.scope():
        assert not ForecastPoint.objects.filter(actual__isnull=False).exists()


def test_the_panel_reads_in_a_fixed_number_of_queries(acme, linked, django_assert_max_num_queries):
    bookings = linked[0].lag
    for month, value in enumerate((300.0, 310.0, 320.0)):
        kpi_forecast_refresh(org=acme.org, kpi_id=bookings.pk)
        fill(bookings, [value], start=shift_period("monthly", dt.date(2026, 1, 1), month))
    kpi_forecast_refresh(org=acme.org, kpi_id=bookings.pk)
    org_links_refresh(org=acme.org)

    with django_assert_max_num_queries(9):
        foresight = kpi_foresight(org=acme.org, kpi=bookings)
        render_to_string(
            "metrics/partials/forecast_panel.html", {"foresight": foresight, "kpi": bookings}
        )

    assert foresight.forecast.version == 4 and len(foresight.chart["past"]) == 3
    assert [a.scored for a in foresight.accuracy] == [3, 2, 1]
    assert len(foresight.evidence) == 2


def test_outlooks_of_many_kpis_come_in_four_queries(acme, globex, django_assert_num_queries):
    today = dt.date(2026, 8, 15)
    falling, rising, unforecast = (KpiFactory(organization=acme.org) for _ in range(3))
    rng = np.random.default_rng(5)
    fill(falling, 120 - 1.5 * np.arange(30) + rng.normal(0, 1, 30), start=dt.date(2024, 1, 1))
    fill(rising, 50 + 1.5 * np.arange(30) + rng.normal(0, 1, 30), start=dt.date(2024, 1, 1))
    for kpi in (falling, rising, unforecast):
        TargetFactory(
            kpi=kpi,
            period_start=dt.date(2026, 7, 1),
            period_end=dt.date(2026, 9, 30),
            value=80,
            green_threshold=80,
            amber_threshold=75,
        )
        kpi_forecast_refresh(org=acme.org, kpi_id=kpi.pk)
    no_target = KpiFactory(organization=acme.org)

    with django_assert_num_queries(4):
        outlooks = kpi_outlooks(
            org=acme.org, kpis=[falling, rising, unforecast, no_target], today=today
        )

    assert outlooks[falling.pk].outlook == Outlook.WILL_MISS
    assert outlooks[rising.pk].outlook == Outlook.ON_COURSE
    assert outlooks[unforecast.pk].outlook == Outlook.UNKNOWN
    assert no_target.pk not in outlooks
    assert kpi_outlooks(org=globex.org, kpis=[falling], today=today) == {}
