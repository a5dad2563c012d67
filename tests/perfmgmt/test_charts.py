"""Sparkline points: the one drawing of a series as an SVG polyline."""

from __future__ import annotations

import pytest

from perfmgmt.charts import polyline


def test_a_series_is_scaled_to_its_own_extremes():
    assert polyline([10, 20, 15], width=100, height=28, top=2) == "0.0,28.0 50.0,2.0 100.0,15.0"


def test_a_fixed_scale_keeps_values_where_they_belong():
    assert polyline([0, 5, 10], width=200, height=40, low=0, high=10, decimals=0) == (
        "0,40 100,20 200,0"
    )


def test_too_few_points_draw_nothing():
    assert polyline([], width=100, height=28) == ""
    assert polyline([3.0], width=100, height=28) == ""
    assert polyline([], width=200, height=40, min_points=1) == ""


def test_a_single_point_may_be_drawn_at_the_start():
    assert polyline([7], width=200, height=40, low=0, high=10, min_points=1, decimals=0) == "0,12"


def test_a_flat_series_lies_on_the_bottom_edge():
    assert polyline([4, 4, 4], width=100, height=28) == "0.0,28.0 50.0,28.0 100.0,28.0"


@pytest.mark.parametrize("series", [[1.5, 3.25, 2.0, 9.75], [5, 1], [-3, 0, 12.5, 12.5]])
def test_it_draws_the_kpi_card_sparkline_as_before(series):
    # What the KPI card drew before it called polyline (metrics/dashboards.py).
    low, high = min(series), max(series)
    span, step = (high - low) or 1.0, 100 / (len(series) - 1)
    before = " ".join(
        f"{i * step:.1f},{28 - (v - low) / span * 26:.1f}" for i, v in enumerate(series)
    )
    assert polyline(series, width=100, height=28, top=2) == before


@pytest.mark.parametrize("confidences", [[], [7], [3, 8, 10, 0]])
def test_it_draws_the_confidence_trend_as_before(confidences):
    # What the check-in history drew before it called polyline (reviews/selectors.py).
    step = 200 / max(len(confidences) - 1, 1)
    before = " ".join(f"{i * step:.0f},{40 - c * 4}" for i, c in enumerate(confidences))
    drawn = polyline(confidences, width=200, height=40, low=0, high=10, min_points=1, decimals=0)
    assert drawn == before
