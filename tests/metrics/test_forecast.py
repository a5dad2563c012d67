from __future__ import annotations

import datetime as dt

from metrics.forecast import attainment, linear_forecast


def test_a_straight_line_is_projected_exactly():
    start = dt.date(2026, 1, 1)
    points = [(start + dt.timedelta(days=7 * i), 10.0 + 2 * i) for i in range(6)]
    assert linear_forecast(points, start + dt.timedelta(days=70)) == 30.0


def test_too_few_points_give_no_forecast():
    assert linear_forecast([(dt.date(2026, 1, 1), 1.0)] * 3, dt.date(2026, 3, 1)) is None


def test_attainment_reads_both_directions():
    assert attainment(90, 100, "higher") == 90
    assert attainment(125, 100, "lower") == 80
    assert attainment(None, 100, "higher") is None
