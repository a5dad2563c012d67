"""The pack's trend charts, drawn as vector SVG in Python: the KPI's value per review period
against its target band (green at or better than the green threshold, amber down to the amber
one). No browser and no plotting library: forty charts take milliseconds, where plotly's static
export would start a browser for each."""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

from metrics.formats import fmt_value
from metrics.windows import WindowValue

WIDTH, HEIGHT = 520, 170
LEFT, RIGHT, TOP, BOTTOM = 64, 16, 12, 30


def _scale(values: Sequence[float]) -> tuple[float, float]:
    low, high = min(values), max(values)
    pad = (high - low) * 0.1 or abs(high) * 0.1 or 1.0
    return low - pad, high + pad


def trend_svg(name: str, unit: str, periods: Sequence[WindowValue], labels: Sequence[str]) -> str:
    """A line of the values with the target line and band behind it; "" with no value at all."""
    values = [w.value for w in periods]
    bounds = [v for v in values if v is not None]
    for w in periods:
        if w.target is not None:
            bounds += [w.target.value, w.target.green, w.target.amber]
    if not any(v is not None for v in values):
        return ""
    low, high = _scale(bounds)
    plot_w, plot_h = WIDTH - LEFT - RIGHT, HEIGHT - TOP - BOTTOM
    step = plot_w / max(len(periods) - 1, 1)

    def x(i: int) -> float:
        return LEFT + i * step

    def y(v: float) -> float:
        return TOP + (high - v) / (high - low) * plot_h

    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" '
        f'width="{WIDTH}" height="{HEIGHT}" role="img" class="trend-chart">',
        f"<title>{escape(name)}: value per period against the target band</title>",
        f'<rect x="{LEFT}" y="{TOP}" width="{plot_w}" height="{plot_h}" fill="#fff" '
        'stroke="#c8ced8"/>',
    ]
    # The band and the target line as one path each: a PDF of 300 charts lays out faster with
    # two elements per chart than with two per period.
    band, target_line = [], []
    for i, w in enumerate(periods):
        if w.target is None:
            continue
        x0, x1 = max(LEFT, x(i) - step / 2), min(LEFT + plot_w, x(i) + step / 2)
        top, bottom = sorted((y(w.target.green), y(w.target.amber)))
        bottom = max(bottom, top + 0.5)
        band.append(f"M{x0:.1f} {top:.1f}H{x1:.1f}V{bottom:.1f}H{x0:.1f}Z")
        target_line.append(f"M{x0:.1f} {y(w.target.value):.1f}H{x1:.1f}")
    if band:
        parts.append(f'<path d="{"".join(band)}" fill="#f3e3bf"/>')
        parts.append(
            f'<path d="{"".join(target_line)}" fill="none" stroke="#1f7a3a" stroke-width="1.5" '
            'stroke-dasharray="4 3"/>'
        )
    line: list[str] = []
    dots: list[str] = []
    for i, v in enumerate(values):
        if v is None:
            if len(line) > 1:
                parts.append(_polyline(line))
            line = []
            continue
        line.append(f"{x(i):.1f},{y(v):.1f}")
        dots.append(f"M{x(i):.1f} {y(v):.1f}h0")
    if len(line) > 1:
        parts.append(_polyline(line))
    # A zero-length segment with a round cap is a dot: far cheaper to lay out than arcs.
    parts.append(
        f'<path d="{"".join(dots)}" stroke="#2355c4" stroke-width="4.5" stroke-linecap="round"/>'
    )
    for v in (low, high):
        parts.append(
            f'<text x="{LEFT - 6}" y="{y(v) + 3:.1f}" text-anchor="end" font-size="9" '
            f'fill="#5b6577">{escape(fmt_value(v, unit))}</text>'
        )
    last = len(labels) - 1
    for i in sorted({0, last}):
        anchor = "start" if i == 0 else "end"
        parts.append(
            f'<text x="{x(i):.1f}" y="{HEIGHT - 10}" text-anchor="{anchor}" font-size="9" '
            f'fill="#5b6577">{escape(labels[i])}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def _polyline(points: Sequence[str]) -> str:
    return f'<polyline points="{" ".join(points)}" fill="none" stroke="#2355c4" stroke-width="2"/>'
