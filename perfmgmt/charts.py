"""Small charts drawn as SVG by the templates themselves (no plotting library needed)."""

from __future__ import annotations

from collections.abc import Sequence


def polyline(
    series: Sequence[float],
    *,
    width: float,
    height: float,
    low: float | None = None,
    high: float | None = None,
    min_points: int = 2,
    decimals: int = 1,
    top: float = 0,
) -> str:
    """The `points` of an SVG `<polyline>` drawing `series` (oldest first) across a
    `width` × `height` box: x spread evenly, y scaled from `low` (the bottom edge) to `high`
    (`top` below the top edge, room for the stroke). `low` and `high` default to the series'
    own extremes; a flat series lies on the bottom edge. Fewer than `min_points` values draw
    nothing (""); a single point sits at x = 0.
    """
    if len(series) < min_points or not series:
        return ""
    low = min(series) if low is None else low
    high = max(series) if high is None else high
    span = (high - low) or 1.0
    step = width / max(len(series) - 1, 1)
    return " ".join(
        f"{i * step:.{decimals}f},{height - (value - low) / span * (height - top):.{decimals}f}"
        for i, value in enumerate(series)
    )
