"""The forecaster on constructed series whose truth is known: seeded, so every run is the same."""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pytest

from metrics.forecasting.methods import Method, seasonal_adjustment
from metrics.forecasting.outlook import Outlook, meet_probability, target_outlook
from metrics.forecasting.selection import SeriesForecast, forecast_series
from metrics.forecasting.series import regular_series, shift_period

START = dt.date(2020, 1, 1)


def monthly(values, start=START, grade="audited"):
    return [(shift_period("monthly", start, i), float(v), grade) for i, v in enumerate(values)]


def seasonal_trend(n: int, seed: int = 1) -> np.ndarray:
    rng = np.random.default_rng(seed)
    t = np.arange(n)
    return 100 + 0.8 * t + 12 * np.sin(2 * np.pi * t / 12) + rng.normal(0, 1.5, n)


def all_numbers(forecast: SeriesForecast) -> list[float]:
    numbers = [forecast.scale, forecast.widening, *forecast.candidates.values()]
    numbers += [x for x in (forecast.mase, forecast.baseline_mase) if x is not None]
    for p in forecast.points:
        numbers += [p.value, p.sd, p.lo80, p.hi80, p.lo95, p.hi95]
    return numbers


def test_a_seasonal_trending_series_gets_a_model_that_beats_seasonal_naive():
    forecast = forecast_series(monthly(seasonal_trend(72)), "monthly")

    assert forecast.judged and forecast.beats_baseline
    assert forecast.method not in (Method.SEASONAL_NAIVE, Method.NAIVE)
    assert forecast.baseline == Method.SEASONAL_NAIVE
    assert forecast.mase < forecast.baseline_mase
    assert forecast.note == ""


def test_the_forward_view_is_18_months_by_cadence_with_nested_bands():
    forecast = forecast_series(monthly(seasonal_trend(72)), "monthly")

    assert len(forecast.points) == 18
    assert forecast.points[0].period_date == dt.date(2026, 1, 1)  # the period after the last
    assert [p.horizon for p in forecast.points] == list(range(1, 19))
    for p in forecast.points:
        assert p.lo95 < p.lo80 < p.value < p.hi80 < p.hi95
    widths = [p.hi95 - p.lo95 for p in forecast.points]
    assert widths[-1] > widths[0]


def test_the_forecast_follows_the_known_truth():
    y = seasonal_trend(84)
    forecast = forecast_series(monthly(y[:72]), "monthly", horizon=12)

    actual = y[72:]
    predicted = np.array([p.value for p in forecast.points])
    inside = [p.lo95 <= a <= p.hi95 for p, a in zip(forecast.points, actual, strict=True)]
    assert np.mean(np.abs(actual - predicted)) < 4  # noise sd 1.5, season amplitude 12
    assert sum(inside) >= 10


@pytest.mark.parametrize(
    ("cadence", "start", "points", "first"),
    [
        ("weekly", dt.date(2024, 1, 1), 78, dt.date(2025, 12, 29)),
        ("quarterly", dt.date(2015, 1, 1), 6, dt.date(2025, 1, 1)),
    ],
)
def test_weekly_and_quarterly_kpis_look_18_months_ahead(cadence, start, points, first):
    n = 104 if cadence == "weekly" else 40
    rng = np.random.default_rng(3)
    values = 50 + np.cumsum(rng.normal(0.2, 1, n))
    history = [(shift_period(cadence, start, i), float(v), "audited") for i, v in enumerate(values)]

    forecast = forecast_series(history, cadence)

    assert len(forecast.points) == points
    assert forecast.points[0].period_date == first
    assert all(math.isfinite(x) for x in all_numbers(forecast))


def test_a_series_where_nothing_beats_seasonal_naive_says_so():
    # A seasonal random walk: this month is last year's plus noise, so seasonal naive is the
    # best forecast there is, and no model can honestly claim to beat it.
    rng = np.random.default_rng(7)
    y = list(rng.normal(100, 10, 12))
    for t in range(12, 72):
        y.append(y[t - 12] + rng.normal(0, 4))

    forecast = forecast_series(monthly(y), "monthly")

    assert forecast.judged
    assert forecast.method == Method.SEASONAL_NAIVE and not forecast.beats_baseline
    assert "No method beats seasonal naive" in forecast.note


@pytest.mark.parametrize("n", [0, 1, 2])
def test_too_short_a_series_gets_no_forecast_and_says_why(n):
    forecast = forecast_series(monthly([10.0, 11.0][:n]), "monthly")

    assert forecast.method == Method.NONE and forecast.points == ()
    assert not forecast.judged and not forecast.beats_baseline
    assert "at least 3 are needed" in forecast.note
    assert all(math.isfinite(x) for x in all_numbers(forecast))


@pytest.mark.parametrize("n", [3, 5, 7])
def test_a_short_series_takes_the_naive_fallback_without_error(n):
    forecast = forecast_series(monthly([10, 12, 11, 13, 12, 14, 13][:n]), "monthly")

    assert forecast.method == Method.NAIVE and not forecast.judged
    assert len(forecast.points) == 18
    assert forecast.points[0].value == pytest.approx([10, 12, 11, 13, 12, 14, 13][n - 1])
    assert "Too short to compare methods" in forecast.note
    assert all(math.isfinite(x) for x in all_numbers(forecast))


def test_a_series_of_a_dozen_points_is_judged_on_short_series_methods():
    forecast = forecast_series(monthly(seasonal_trend(14)), "monthly")

    assert forecast.judged
    assert Method.SEASONAL_ETS not in forecast.candidates  # needs two full seasons
    assert all(math.isfinite(x) for x in all_numbers(forecast))


def test_a_flat_series_gives_finite_numbers_everywhere():
    forecast = forecast_series(monthly([5.0] * 40), "monthly")

    assert all(math.isfinite(x) for x in all_numbers(forecast))
    assert all(p.value == pytest.approx(5.0) for p in forecast.points)


def test_values_graded_estimate_or_preliminary_widen_the_band():
    y = seasonal_trend(48)
    firm = monthly(y)
    weak = firm[:-3] + [(d, v, "estimate") for d, v, _ in firm[-3:]]

    sure, unsure = forecast_series(firm, "monthly"), forecast_series(weak, "monthly")

    assert unsure.widening == pytest.approx(1.5) and sure.widening == 1.0
    assert [p.value for p in unsure.points] == [p.value for p in sure.points]
    for a, b in zip(sure.points, unsure.points, strict=True):
        assert b.hi95 - b.lo95 == pytest.approx(1.5 * (a.hi95 - a.lo95))


def test_missing_periods_are_filled_and_counted():
    history = monthly(seasonal_trend(40))
    del history[20:23]

    series = regular_series(history, "monthly")
    forecast = forecast_series(history, "monthly")

    assert series.n == 40 and series.gaps == 3
    assert not np.isnan(series.values).any()
    assert forecast.gaps == 3 and all(math.isfinite(x) for x in all_numbers(forecast))


def test_dates_inside_a_period_are_filed_under_its_start():
    series = regular_series([(dt.date(2026, 3, 17), 4.0, "audited")], "monthly")

    assert series.start == dt.date(2026, 3, 1)


def test_the_same_values_give_the_same_forecast():
    history = monthly(seasonal_trend(60, seed=11))

    assert forecast_series(history, "monthly") == forecast_series(history, "monthly")


# --- the outlook against a target ------------------------------------------------------------


def declining(n: int = 30, seed: int = 5) -> list[tuple[dt.date, float, str]]:
    rng = np.random.default_rng(seed)
    return monthly(120 - 1.5 * np.arange(n) + rng.normal(0, 1, n))


def test_a_steady_decline_toward_a_breach_is_flagged_will_miss_before_the_period_ends():
    history = declining()  # ends June 2022 near 76, falling 1.5 a month
    forecast = forecast_series(history, "monthly")
    quarter_end = dt.date(2022, 9, 30)  # three months ahead: the quarter is still running

    outlook = target_outlook(
        forecast.points,
        cadence="monthly",
        period_end=quarter_end,
        threshold=80.0,
        direction="higher",
    )

    assert outlook.outlook == Outlook.WILL_MISS
    assert outlook.probability < 0.2 and not outlook.observed
    assert outlook.period_date == dt.date(2022, 9, 1)
    assert outlook.projected < 80


def test_the_same_decline_is_on_course_when_lower_is_better():
    forecast = forecast_series(declining(), "monthly")

    outlook = target_outlook(
        forecast.points,
        cadence="monthly",
        period_end=dt.date(2022, 9, 30),
        threshold=80.0,
        direction="lower",
    )

    assert outlook.outlook == Outlook.ON_COURSE and outlook.probability > 0.8


def test_a_target_near_the_projection_is_at_risk():
    forecast = forecast_series(declining(), "monthly")
    point = next(p for p in forecast.points if p.period_date == dt.date(2022, 9, 1))

    outlook = target_outlook(
        forecast.points,
        cadence="monthly",
        period_end=dt.date(2022, 9, 30),
        threshold=point.value,
        direction="higher",
    )

    assert outlook.outlook == Outlook.AT_RISK and outlook.probability == pytest.approx(0.5)


def test_a_measured_period_end_is_certain_and_a_period_beyond_the_horizon_unknown():
    forecast = forecast_series(declining(), "monthly")

    measured = target_outlook(
        forecast.points,
        cadence="monthly",
        period_end=dt.date(2022, 6, 30),
        threshold=70.0,
        direction="higher",
        actual=76.0,
    )
    beyond = target_outlook(
        forecast.points,
        cadence="monthly",
        period_end=dt.date(2030, 12, 31),
        threshold=70.0,
        direction="higher",
    )

    assert (measured.outlook, measured.probability, measured.observed) == (
        Outlook.ON_COURSE,
        1.0,
        True,
    )
    assert beyond.outlook == Outlook.UNKNOWN and beyond.probability is None


def test_meet_probability_reads_the_normal_distribution():
    assert meet_probability(100, 10, 100, "higher") == pytest.approx(0.5)
    assert meet_probability(100, 10, 80.4, "higher") == pytest.approx(0.975, abs=1e-3)
    assert meet_probability(100, 10, 80.4, "lower") == pytest.approx(0.025, abs=1e-3)
    assert meet_probability(100, 0, 99, "higher") == 1.0


@pytest.mark.parametrize("size", [1e-9, 1e200])
def test_tiny_and_huge_numbers_are_forecast_without_overflow(size):
    forecast = forecast_series(monthly(seasonal_trend(40) * size), "monthly")

    assert forecast.points and all(math.isfinite(x) for x in all_numbers(forecast))
    assert forecast.points[0].value == pytest.approx(
        forecast_series(monthly(seasonal_trend(40)), "monthly").points[0].value * size
    )


def test_seasonal_adjustment_finds_a_real_season_and_leaves_noise_alone():
    rng = np.random.default_rng(2)
    t = np.arange(60)
    seasonal = (100 + t) * (1 + 0.2 * np.sin(2 * np.pi * t / 12)) + rng.normal(0, 1, 60)

    found = seasonal_adjustment(seasonal, 12)

    assert found is not None and found.multiplicative
    assert max(found.factors) == pytest.approx(1.2, abs=0.05)
    assert seasonal_adjustment(rng.normal(50, 5, 60), 12) is None
    assert seasonal_adjustment(seasonal[:35], 12) is None  # less than three seasons


def test_the_bands_cover_what_happens_about_as_often_as_they_say():
    inside80 = inside95 = total = 0
    for seed in range(30):
        y = 100 + np.cumsum(np.random.default_rng(seed).normal(0.3, 2, 54))
        forecast = forecast_series(monthly(y[:48]), "monthly", horizon=6)
        for point, actual in zip(forecast.points, y[48:], strict=True):
            inside80 += point.lo80 <= actual <= point.hi80
            inside95 += point.lo95 <= actual <= point.hi95
            total += 1

    assert 0.65 <= inside80 / total <= 0.95
    assert 0.85 <= inside95 / total <= 1.0
