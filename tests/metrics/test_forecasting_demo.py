"""The demo's series (metrics.forecasting.demo) show what they are meant to, through the same
tests and forecasts the application runs."""

from __future__ import annotations

import datetime as dt
import math

from metrics.forecasting.demo import DRIVER_LAG, bogus_lead, driver_pair, steady_decline
from metrics.forecasting.leadlag import KpiSeries, lead_lag_test
from metrics.forecasting.outlook import Outlook, target_outlook
from metrics.forecasting.selection import forecast_series
from metrics.forecasting.series import shift_period
from metrics.models import LinkVerdict

LAST = dt.date(2026, 11, 1)
N = 24  # the demo's two years of monthly history


def _points(values):
    start = shift_period("monthly", LAST, -(len(values) - 1))
    return [(shift_period("monthly", start, i), v, "reconciled") for i, v in enumerate(values)]


def test_the_driver_pair_is_found_at_its_lag_and_the_bogus_lead_is_not():
    lead, lag = driver_pair(N, lead_level=300, lag_level=900)
    bogus = bogus_lead(N, level=40_000)
    lag_series = KpiSeries(_points(lag), "monthly")
    true = lead_lag_test(KpiSeries(_points(lead), "monthly"), lag_series)
    false = lead_lag_test(KpiSeries(_points(bogus), "monthly"), lag_series)
    assert (true.verdict, true.best_lag) == (LinkVerdict.SUPPORTED, DRIVER_LAG)
    assert false.verdict == LinkVerdict.NOT_SUPPORTED and false.p_value > 0.5
    assert all(math.isfinite(v) for v in [*lead, *lag, *bogus])


def test_the_decline_is_on_target_now_and_will_miss_its_quarter():
    values = steady_decline(N, level=85.0)
    assert values[-1] >= 84  # about the level: a target of 84 is met this month
    forecast = forecast_series(_points(values), "monthly")
    outlook = target_outlook(
        forecast.points,
        cadence="monthly",
        period_end=dt.date(2027, 1, 31),  # two months after the last value
        threshold=84.0,
        direction="higher",
    )
    assert outlook.outlook == Outlook.WILL_MISS and outlook.probability < 0.2
