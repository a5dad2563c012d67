"""Lead→lag evidence on constructed series whose truth is known (seeded)."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from metrics.forecasting.leadlag import KpiSeries, lead_candidates, lead_lag_test, resample
from metrics.forecasting.series import shift_period
from metrics.models import LinkVerdict

START = dt.date(2021, 1, 1)


def as_kpi(values, cadence="monthly", aggregation="last", start=START) -> KpiSeries:
    points = [(shift_period(cadence, start, i), float(v), "audited") for i, v in enumerate(values)]
    return KpiSeries(points, cadence, aggregation)


def random_walk(n: int, seed: int, drift: float = 0.0) -> np.ndarray:
    return 100 + np.cumsum(np.random.default_rng(seed).normal(drift, 1, n))


def driven(lead: np.ndarray, delay: int, seed: int, noise: float = 0.5) -> np.ndarray:
    """A lag that moves `delay` periods after its lead, plus its own noise."""
    rng = np.random.default_rng(seed)
    shifted = np.concatenate([np.full(delay, lead[0]), lead[:-delay]])
    return 50 + 0.8 * shifted + np.cumsum(rng.normal(0, noise, lead.shape[0]))


def test_a_lead_that_drives_its_lag_two_periods_later_is_found_at_lag_2_and_supported():
    lead = random_walk(36, seed=1)

    test = lead_lag_test(as_kpi(lead), as_kpi(driven(lead, 2, seed=2)))

    assert test.verdict == LinkVerdict.SUPPORTED
    assert test.best_lag == 2
    assert test.correlation > 0.5 and test.p_value < 0.01
    assert test.n_points >= 30 and set(test.correlations) == set(range(13))


def test_a_weekly_lead_summed_to_months_drives_a_monthly_lag():
    # Weekly pipeline (a random walk of its weekly level) drives bookings two months later.
    rng = np.random.default_rng(4)
    weekly = 20 + np.cumsum(rng.normal(0, 1, 52 * 4)) + rng.normal(0, 0.5, 52 * 4)
    lead = as_kpi(weekly, "weekly", "sum", start=dt.date(2021, 1, 4))
    months = resample(lead.points, "weekly", "monthly", "sum")
    per_week = np.array([v for _, v, _ in months])
    lag = as_kpi(driven(per_week * 4.35, 2, seed=5, noise=2.0), start=months[0][0])

    test = lead_lag_test(lead, lag)

    assert test.cadence == "monthly"
    assert test.verdict == LinkVerdict.SUPPORTED and test.best_lag == 2


def test_an_unrelated_random_walk_is_not_supported():
    lead, lag = random_walk(48, seed=12), random_walk(48, seed=112)

    test = lead_lag_test(as_kpi(lead), as_kpi(lag))

    assert test.verdict == LinkVerdict.NOT_SUPPORTED and test.p_value >= 0.05


def test_unrelated_random_walks_are_supported_no_more_often_than_the_test_level():
    # At a 5 % level about one pair in twenty is a false alarm, whatever the lag that won:
    # the permutation test of the maximum over 13 lags keeps the rate near 5 %, not 13 x 5 %.
    verdicts = [
        lead_lag_test(as_kpi(random_walk(48, seed=s)), as_kpi(random_walk(48, seed=s + 1000)))
        for s in range(100)
    ]

    assert sum(t.verdict == LinkVerdict.SUPPORTED for t in verdicts) <= 8


def test_two_series_that_only_trend_together_are_not_supported():
    rng = np.random.default_rng(21)
    t = np.arange(48)
    lead = 10 + 2.0 * t + rng.normal(0, 3, 48)
    lag = 500 + 7.5 * t + rng.normal(0, 10, 48)
    assert np.corrcoef(lead, lag)[0, 1] > 0.95  # what a naive correlation would claim

    test = lead_lag_test(as_kpi(lead), as_kpi(lag))

    assert test.verdict == LinkVerdict.NOT_SUPPORTED


def test_co_trending_pairs_are_rarely_supported():
    rng = np.random.default_rng(22)
    t = np.arange(48)
    pairs = [
        (10 + 2.0 * t + rng.normal(0, 3, 48), 500 + 7.5 * t + rng.normal(0, 10, 48))
        for _ in range(40)
    ]

    supported = [
        lead_lag_test(as_kpi(a), as_kpi(b)).verdict == LinkVerdict.SUPPORTED for a, b in pairs
    ]

    assert sum(supported) <= 4


def test_too_few_periods_are_not_enough_data():
    lead = random_walk(10, seed=3)

    test = lead_lag_test(as_kpi(lead), as_kpi(driven(lead, 2, seed=4)))

    assert test.verdict == LinkVerdict.NOT_ENOUGH_DATA
    assert test.best_lag is None and test.p_value is None and "at least 12" in test.note


def test_series_that_do_not_overlap_in_time_are_not_enough_data():
    lead = as_kpi(random_walk(24, seed=3))
    lag = as_kpi(random_walk(24, seed=4), start=dt.date(2025, 1, 1))

    assert lead_lag_test(lead, lag).verdict == LinkVerdict.NOT_ENOUGH_DATA


def test_the_test_is_deterministic_and_free_of_nan():
    lead = random_walk(40, seed=8)
    lag = driven(lead, 1, seed=9, noise=2.0)

    first, second = (
        lead_lag_test(as_kpi(lead), as_kpi(lag)),
        lead_lag_test(as_kpi(lead), as_kpi(lag)),
    )

    assert first == second
    assert all(math.isfinite(r) for r in first.correlations.values())
    assert math.isfinite(first.p_value) and math.isfinite(first.correlation)


def test_a_flat_lead_correlates_with_nothing():
    test = lead_lag_test(as_kpi([5.0] * 30), as_kpi(random_walk(30, seed=2)))

    assert test.verdict == LinkVerdict.NOT_SUPPORTED
    assert all(r == 0.0 for r in test.correlations.values())


def test_a_better_undeclared_lead_is_suggested_and_noise_is_not():
    driver = random_walk(48, seed=31)
    lag = as_kpi(driven(driver, 1, seed=32))
    bogus = as_kpi(random_walk(48, seed=33))
    declared = {"bogus": lead_lag_test(bogus, lag)}
    others = {"driver": as_kpi(driver), "bogus": bogus}
    others |= {f"noise-{i}": as_kpi(random_walk(48, seed=40 + i)) for i in range(10)}

    suggestions = lead_candidates(lag, others, declared=declared)

    assert [s.kpi_id for s in suggestions] == ["driver"]
    assert suggestions[0].best_lag == 1 and suggestions[0].correlation > 0.5


def test_no_suggestion_when_the_declared_lead_is_already_the_best():
    driver = random_walk(48, seed=31)
    lag = as_kpi(driven(driver, 1, seed=32))
    declared = {"driver": lead_lag_test(as_kpi(driver), lag)}
    others = {"driver": as_kpi(driver), "weaker": as_kpi(driver + random_walk(48, seed=5) * 3)}

    assert lead_candidates(lag, others, declared=declared) == []


def test_a_single_value_or_none_is_not_enough_data():
    one, empty = as_kpi([3.0]), as_kpi([])

    assert lead_lag_test(one, one).verdict == LinkVerdict.NOT_ENOUGH_DATA
    assert lead_lag_test(empty, one).verdict == LinkVerdict.NOT_ENOUGH_DATA


def test_huge_values_give_the_same_verdict_as_small_ones():
    lead = random_walk(36, seed=1)
    lag = driven(lead, 2, seed=2)

    small = lead_lag_test(as_kpi(lead), as_kpi(lag))
    huge = lead_lag_test(as_kpi(lead * 1e200), as_kpi(lag * 1e200))

    assert huge.verdict == small.verdict and huge.best_lag == small.best_lag == 2
    assert huge.correlation == pytest.approx(small.correlation)


def test_weekly_sums_do_not_correlate_on_the_calendar_alone():
    # Two unrelated weekly KPIs summed into months would share the rhythm of four- and
    # five-week months; read per week, they share nothing.
    rng = np.random.default_rng(6)
    lead = as_kpi(20 + rng.normal(0, 1, 156), "weekly", "sum", start=dt.date(2022, 1, 3))
    months = resample(lead.points, "weekly", "monthly", "sum")
    weeks_in = np.array(
        [
            sum(1 for d, _, _ in lead.points if (d.year, d.month) == (m.year, m.month))
            for m, _, _ in months
        ]
    )
    lag = as_kpi(100 + 20 * weeks_in + rng.normal(0, 1, weeks_in.size), start=months[0][0])

    assert lead_lag_test(lead, lag).verdict == LinkVerdict.NOT_SUPPORTED
