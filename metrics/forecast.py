"""A plain linear-trend projection: honest about what it is, labelled as such on the page.

Kept for the finance dashboard's card until it reads the stored forecast instead; the forecaster
proper (methods chosen per series, prediction intervals, track record) is `metrics.forecasting`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from metrics.models import Direction

MIN_POINTS = 4


def linear_forecast(points: Sequence[tuple[dt.date, float]], at: dt.date) -> float | None:
    """Least-squares line through (date, value) points, read off at `at`. None with fewer than
    MIN_POINTS points or no spread in time."""
    if len(points) < MIN_POINTS:
        return None
    origin = min(day for day, _ in points)
    xs = [(day - origin).days for day, _ in points]
    ys = [value for _, value in points]
    n = len(points)
    mean_x, mean_y = sum(xs) / n, sum(ys) / n
    spread = sum((x - mean_x) ** 2 for x in xs)
    if spread == 0:
        return None
    slope = sum((x - mean_x) * (y - mean_y) for x, y in zip(xs, ys, strict=True)) / spread
    return mean_y + slope * ((at - origin).days - mean_x)


def attainment(value: float | None, target: float | None, direction: str) -> float | None:
    """How far along the target a value is, in percent (100 = on target), either direction."""
    if value is None or not target:
        return None
    if direction == Direction.LOWER:
        return 100 * target / value if value else None
    return 100 * value / target
