"""A KPI's values as a regular series: one number per cadence period, oldest first."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

import numpy as np

from perfmgmt.periods import Cadence, cadence_period_start

# Periods in a year: the season of a weekly, monthly or quarterly KPI.
SEASON_LENGTH: dict[str, int] = {Cadence.WEEKLY: 52, Cadence.MONTHLY: 12, Cadence.QUARTERLY: 4}
# How far forward the view reaches: 18 months, in the KPI's own periods.
FORECAST_MONTHS = 18
HORIZON: dict[str, int] = {
    Cadence.WEEKLY: FORECAST_MONTHS * 52 // 12,
    Cadence.MONTHLY: FORECAST_MONTHS,
    Cadence.QUARTERLY: FORECAST_MONTHS // 3,
}
# The longest history a forecast reads: old regimes tell little about next year, and the cost
# of a fit grows with the length of the series.
MAX_POINTS: dict[str, int] = {Cadence.WEEKLY: 260, Cadence.MONTHLY: 120, Cadence.QUARTERLY: 60}

# How much a weak grade widens the band: a number that is only an estimate may itself be off,
# so the forecast that starts from it is less certain than the fit alone says. Applied to the
# standard deviation, averaged over the last WEAK_WINDOW values (where the forecast starts).
CONFIDENCE_WIDENING: dict[str, float] = {"estimate": 0.5, "preliminary": 0.25}
WEAK_WINDOW = 3
# A period with no value is filled by interpolation and counts as an estimate.
GAP_CONFIDENCE = "estimate"


def shift_period(cadence: str, day: dt.date, steps: int) -> dt.date:
    """The start of the cadence period `steps` periods after the one starting on `day`."""
    if cadence == Cadence.WEEKLY:
        return day + dt.timedelta(days=7 * steps)
    months = 3 if cadence == Cadence.QUARTERLY else 1
    index = day.year * 12 + day.month - 1 + steps * months
    return dt.date(index // 12, index % 12 + 1, 1)


def periods_between(cadence: str, start: dt.date, end: dt.date) -> int:
    """How many cadence periods `end` lies after `start` (both period starts)."""
    if cadence == Cadence.WEEKLY:
        return (end - start).days // 7
    months = (end.year - start.year) * 12 + end.month - start.month
    return months // 3 if cadence == Cadence.QUARTERLY else months


@dataclass(frozen=True)
class Series:
    """Values on a regular grid of cadence periods, gaps filled, oldest first."""

    cadence: str
    start: dt.date | None
    values: np.ndarray
    confidences: tuple[str, ...]
    gaps: int = 0

    @property
    def n(self) -> int:
        return int(self.values.shape[0])

    @property
    def season_length(self) -> int:
        return SEASON_LENGTH[self.cadence]

    @property
    def last_date(self) -> dt.date | None:
        return None if self.start is None else shift_period(self.cadence, self.start, self.n - 1)

    def date_at(self, index: int) -> dt.date:
        if self.start is None:
            raise ValueError("an empty series has no dates")
        return shift_period(self.cadence, self.start, index)

    def widening(self) -> float:
        """The factor the band's standard deviation is multiplied by for weak grades."""
        recent = self.confidences[-WEAK_WINDOW:]
        if not recent:
            return 1.0
        return 1.0 + sum(CONFIDENCE_WIDENING.get(c, 0.0) for c in recent) / len(recent)


def regular_series(
    points: Iterable[tuple[dt.date, float, str]], cadence: str, *, max_points: int | None = None
) -> Series:
    """The values as one per cadence period: dates snapped to their period start, a repeated
    period keeps its last value, non-finite values dropped, gaps filled linearly (and graded
    estimates), and only the last `max_points` periods kept (default: MAX_POINTS)."""
    by_period: dict[dt.date, tuple[float, str]] = {}
    for day, value, confidence in points:
        number = float(value)
        if math.isfinite(number):
            by_period[cadence_period_start(cadence, day)] = (number, confidence)
    if not by_period:
        return Series(cadence, None, np.zeros(0), ())
    limit = max_points or MAX_POINTS[cadence]
    dates = sorted(by_period)
    last = dates[-1]
    first = max(dates[0], shift_period(cadence, last, -(limit - 1)))
    size = periods_between(cadence, first, last) + 1
    values = np.full(size, np.nan)
    grades = [GAP_CONFIDENCE] * size
    for day in dates:
        if day >= first:
            index = periods_between(cadence, first, day)
            values[index], grades[index] = by_period[day]
    missing = np.isnan(values)
    if missing.any():
        known = np.flatnonzero(~missing)
        values[missing] = np.interp(np.flatnonzero(missing), known, values[known])
    return Series(cadence, first, values, tuple(grades), gaps=int(missing.sum()))


def mase_scale(y: np.ndarray, season_length: int) -> float:
    """The denominator of MASE: the in-sample mean absolute error of the seasonal-naive
    forecast (naive when the series is no longer than a season). A flat series would give
    zero; then the naive error, then 1, so no ratio is ever infinite or NaN."""
    lag = season_length if y.shape[0] > season_length else 1
    for step in (lag, 1):
        if y.shape[0] > step:
            scale = float(np.mean(np.abs(y[step:] - y[:-step])))
            if scale > 1e-12:
                return scale
    return 1.0


def smape(actual: Sequence[float] | np.ndarray, forecast: Sequence[float] | np.ndarray) -> float:
    """Symmetric MAPE in percent (0–200); a pair that is zero on both sides counts as exact."""
    a = np.asarray(actual, dtype=float)
    f = np.asarray(forecast, dtype=float)
    denominator = np.abs(a) + np.abs(f)
    safe = np.where(denominator > 0, denominator, 1.0)
    terms = np.where(denominator > 0, 200.0 * np.abs(a - f) / safe, 0.0)
    return float(np.mean(terms)) if terms.size else 0.0
