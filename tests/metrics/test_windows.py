"""A KPI over a month or a year to date: aggregation, targets, direction, no target, no data."""

from __future__ import annotations

import datetime as dt
import uuid

import pytest

from metrics.models import Kpi, Rag, Target
from metrics.rag import favourable
from metrics.selectors import Reading
from metrics.windows import (
    aggregate,
    month_window,
    period_starts,
    window_readings,
    window_value,
)
from tests.factories import KpiFactory, MetricValueFactory

NOV = (dt.date(2026, 11, 1), dt.date(2026, 11, 30))


def kpi(**fields) -> Kpi:
    defaults = {"cadence": "weekly", "aggregation": "sum", "direction": "higher"}
    return Kpi(pk=uuid.uuid4(), **(defaults | fields))


def reading(k: Kpi, day: dt.date, value: float, confidence: str = "reconciled") -> Reading:
    return Reading(k.pk, day, value, confidence)


def target(start: dt.date, end: dt.date, value: float, green: float, amber: float) -> Target:
    return Target(
        period_start=start,
        period_end=end,
        value=value,
        green_threshold=green,
        amber_threshold=amber,
    )


QUARTER_TARGET = [target(dt.date(2026, 10, 1), dt.date(2026, 12, 31), 10, 10, 9)]


def test_weeks_starting_in_the_month_are_its_periods():
    assert period_starts("weekly", *NOV) == [
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 9),
        dt.date(2026, 11, 16),
        dt.date(2026, 11, 23),
        dt.date(2026, 11, 30),
    ]
    assert period_starts("monthly", dt.date(2026, 1, 1), dt.date(2026, 3, 31)) == [
        dt.date(2026, 1, 1),
        dt.date(2026, 2, 1),
        dt.date(2026, 3, 1),
    ]


def test_a_summed_weekly_kpi_is_judged_against_the_sum_of_its_weekly_targets():
    k = kpi()
    weeks = period_starts("weekly", *NOV)
    readings = [reading(k, day, 11) for day in weeks]
    found = window_value(k, readings, QUARTER_TARGET, *NOV)
    assert found.value == 55
    assert found.target is not None and found.target.value == 50
    assert found.rag == Rag.GREEN
    assert found.variance == pytest.approx(0.1)
    assert found.favourable is True
    assert (found.periods, found.expected) == (5, 5)


def test_a_missing_week_shows_in_the_count_and_lowers_the_sum():
    k = kpi()
    readings = [reading(k, day, 11) for day in period_starts("weekly", *NOV)[:4]]
    found = window_value(k, readings, QUARTER_TARGET, *NOV)
    assert (found.value, found.periods, found.expected) == (44, 4, 5)
    assert found.rag == Rag.RED  # 44 is below the amber 45 of five weeks


def test_an_average_is_judged_against_the_average_target_and_last_against_its_period():
    k_avg, k_last = kpi(aggregation="average"), kpi(aggregation="last")
    days = period_starts("weekly", *NOV)
    values = [8, 9, 10, 11, 12]
    avg = window_value(
        k_avg,
        [reading(k_avg, d, v) for d, v in zip(days, values, strict=True)],
        QUARTER_TARGET,
        *NOV,
    )
    last = window_value(
        k_last,
        [reading(k_last, d, v) for d, v in zip(days, values, strict=True)],
        QUARTER_TARGET,
        *NOV,
    )
    assert (avg.value, avg.target.value) == (10, 10)
    assert (last.value, last.target.value) == (12, 10)


def test_lower_is_better_reads_a_value_above_target_as_adverse():
    k = kpi(cadence="monthly", aggregation="last", direction="lower")
    targets = [target(dt.date(2026, 10, 1), dt.date(2026, 12, 31), 2.14, 2.14, 2.35)]
    found = window_value(k, [reading(k, dt.date(2026, 11, 1), 2.47)], targets, *NOV)
    assert found.variance == pytest.approx((2.47 - 2.14) / 2.14)  # positive, and yet bad
    assert found.favourable is False
    assert found.rag == Rag.RED
    assert favourable(2.0, 2.14, "lower") is True


def test_no_target_no_data_and_a_zero_target_give_no_variance_and_no_status():
    k = kpi(cadence="monthly", aggregation="last")
    without_target = window_value(k, [reading(k, dt.date(2026, 11, 1), 5)], [], *NOV)
    assert (without_target.target, without_target.rag, without_target.variance) == (
        None,
        Rag.NONE,
        None,
    )
    assert without_target.favourable is None
    without_data = window_value(k, [], QUARTER_TARGET, *NOV)
    assert (without_data.value, without_data.rag, without_data.confidence) == (None, Rag.NONE, None)
    zero = [target(dt.date(2026, 10, 1), dt.date(2026, 12, 31), 0, 0, 1)]
    k_low = kpi(cadence="monthly", aggregation="last", direction="lower")
    on_zero = window_value(k_low, [reading(k_low, dt.date(2026, 11, 1), 0)], zero, *NOV)
    assert on_zero.variance is None
    assert on_zero.rag == Rag.GREEN


def test_the_numbers_confidence_is_the_weakest_of_its_values():
    k = kpi()
    days = period_starts("weekly", *NOV)
    grades = ["audited", "reconciled", "estimate", "preliminary", "audited"]
    readings = [reading(k, d, 10, g) for d, g in zip(days, grades, strict=True)]
    assert window_value(k, readings, QUARTER_TARGET, *NOV).confidence == "estimate"


def test_a_quarterly_kpi_reports_the_last_quarter_ended_by_the_month():
    assert month_window("quarterly", dt.date(2026, 11, 1)) == (
        dt.date(2026, 7, 1),
        dt.date(2026, 9, 30),
    )
    assert month_window("quarterly", dt.date(2026, 12, 1)) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )
    assert month_window("monthly", dt.date(2026, 2, 1)) == (
        dt.date(2026, 2, 1),
        dt.date(2026, 2, 28),
    )


def test_aggregations_of_nothing_are_none():
    for aggregation in ("sum", "average", "last", "min", "max"):
        assert aggregate([], aggregation) is None
    assert aggregate([3, 1, 2], "min") == 1
    assert aggregate([3, 1, 2], "max") == 3


def test_window_readings_stay_in_the_organisation(acme, globex):
    ours = KpiFactory(organization=acme.org)
    theirs = KpiFactory(organization=globex.org)
    MetricValueFactory(kpi=ours, period_date=dt.date(2026, 11, 1), value=1)
    MetricValueFactory(kpi=theirs, period_date=dt.date(2026, 11, 1), value=2)
    found = window_readings(org=acme.org, kpi_ids=[ours.pk, theirs.pk], start=NOV[0], end=NOV[1])
    assert list(found) == [ours.pk]
