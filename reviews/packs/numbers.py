"""Each KPI's month as the pack reports it: the month against its target, the prior period, the
same period last year, the year to date against the year-to-date target, a full-year outlook,
the trend, and why it needs attention — all read through metrics.windows, judged by the
attention rules of reviews.attention.

Weekly and monthly KPIs are reported by calendar month; a quarterly KPI by the quarter that
contains the month (its prior period is the quarter before).
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Sequence
from dataclasses import dataclass

from metrics.forecast import MIN_POINTS, linear_forecast
from metrics.models import Aggregation, Kpi, Rag, Target
from metrics.selectors import OFF_TARGET, KpiStatus, Reading
from metrics.windows import (
    WindowValue,
    aggregate,
    month_end,
    month_window,
    window_readings,
    window_targets,
    window_value,
)
from perfmgmt.models import Organization
from perfmgmt.periods import Cadence, Period, add_months, fiscal_year
from reviews.attention import Kind, deteriorating, kpi_kinds

# How many review periods back the pack reads: a year and the month itself (the chart, the
# same month last year, how long a KPI has been off target).
MONTHS_BACK = 12
QUARTERS_BACK = 4


@dataclass(frozen=True)
class Outlook:
    """The full fiscal year projected from the trend of the last twelve months."""

    value: float
    target: float | None
    favourable: bool | None
    method: str = "linear trend of the last 12 months"


@dataclass(frozen=True)
class KpiMonth:
    kpi: Kpi
    periods: list[WindowValue]  # oldest first; the last is the month reported
    ytd: WindowValue
    outlook: Outlook | None
    kinds: list[Kind]
    off_run: int  # review periods in a row off target (amber or red), up to the month
    trend: str  # "improving", "worsening", "mixed" or "" (too few values)
    readings: tuple[Reading, ...] = ()  # the values read, oldest first, up to the month's end

    @property
    def current(self) -> WindowValue:
        return self.periods[-1]

    @property
    def prior(self) -> WindowValue:
        return self.periods[-2]

    @property
    def last_year(self) -> WindowValue:
        return self.periods[0]

    @property
    def recent(self) -> list[float]:
        """The values of the review periods, newest first (gaps skipped)."""
        return [w.value for w in reversed(self.periods) if w.value is not None]


def review_windows(cadence: str, month: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The review periods from a year before `month` up to it, oldest first."""
    step, count = (3, QUARTERS_BACK) if cadence == Cadence.QUARTERLY else (1, MONTHS_BACK)
    return [month_window(cadence, add_months(month, -step * n)) for n in range(count, -1, -1)]


def _status(kpi: Kpi, current: WindowValue, prior: WindowValue) -> KpiStatus:
    """The month as a KpiStatus, so the one set of attention rules judges it."""
    latest = (
        Reading(kpi.pk, current.start, current.value, current.confidence or "")
        if current.value is not None
        else None
    )
    target = (
        Target(
            kpi=kpi,
            period_start=current.start,
            period_end=current.end,
            value=current.target.value,
            green_threshold=current.target.green,
            amber_threshold=current.target.amber,
        )
        if current.target is not None
        else None
    )
    return KpiStatus(
        kpi=kpi,
        latest=latest,
        target=target,
        rag=current.rag,
        variance=current.variance,
        stale=current.value is None,
        previous_rag=prior.rag,
    )


def _trend(recent: Sequence[float], direction: str) -> str:
    if len(recent) < 3:
        return ""
    if deteriorating(recent, direction):
        return "worsening"
    flipped = "lower" if direction == "higher" else "higher"
    return "improving" if deteriorating(recent, flipped) else "mixed"


def _off_run(periods: Sequence[WindowValue]) -> int:
    run = 0
    for window in reversed(periods):
        if window.rag not in OFF_TARGET:
            break
        run += 1
    return run


def _outlook(
    kpi: Kpi,
    readings: Sequence[Reading],
    targets: Sequence[Target],
    month: dt.date,
    year: Period,
    periods: Sequence[WindowValue],
) -> Outlook | None:
    """The fiscal year's outcome if the last twelve months' trend holds (weekly and monthly
    KPIs; None with fewer than MIN_POINTS months of values or in the year's last month)."""
    if kpi.cadence == Cadence.QUARTERLY or month_end(month) >= year.end:
        return None
    points = [(w.start, w.value) for w in periods if w.value is not None]
    if len(points) < MIN_POINTS:
        return None
    months_done, day = [], year.start
    while day <= month:
        months_done.append(window_value(kpi, readings, targets, day, month_end(day)).value)
        day = add_months(day, 1)
    projected = []
    day = add_months(month, 1)
    while day <= year.end:
        forecast = linear_forecast(points, day)
        if forecast is None:
            return None
        projected.append(forecast)
        day = add_months(day, 1)
    actual = [v for v in months_done if v is not None]
    if kpi.aggregation == Aggregation.LAST:
        value: float | None = projected[-1]
    else:
        value = aggregate([*actual, *projected], kpi.aggregation)
    if value is None:
        return None
    full_year = window_value(kpi, [], targets, year.start, year.end).target
    target = full_year.value if full_year is not None else None
    if target is None:
        return Outlook(value=value, target=None, favourable=None)
    good = value >= target if kpi.direction == "higher" else value <= target
    return Outlook(value=value, target=target, favourable=good)


def kpi_months(
    *, org: Organization, kpis: Sequence[Kpi], month: dt.date
) -> dict[uuid.UUID, KpiMonth]:
    """Every KPI's month, in two queries (values, targets) whatever the number of KPIs."""
    year = fiscal_year(month, org.fiscal_year_start_month)
    windows = {kpi.pk: review_windows(kpi.cadence, month) for kpi in kpis}
    start = min([year.start, *(w[0][0] for w in windows.values())], default=year.start)
    end = max([month_end(month), *(w[-1][1] for w in windows.values())])
    ids = [kpi.pk for kpi in kpis]
    readings = window_readings(org=org, kpi_ids=ids, start=start, end=end)
    targets = window_targets(org=org, kpi_ids=ids, start=start, end=max(end, year.end))
    found = {}
    for kpi in kpis:
        mine, theirs = readings.get(kpi.pk, []), targets.get(kpi.pk, [])
        periods = [window_value(kpi, mine, theirs, a, b) for a, b in windows[kpi.pk]]
        ytd = window_value(kpi, mine, theirs, year.start, month_end(month))
        recent = [w.value for w in reversed(periods) if w.value is not None]
        kinds = kpi_kinds(_status(kpi, periods[-1], periods[-2]), recent)
        found[kpi.pk] = KpiMonth(
            kpi=kpi,
            periods=periods,
            ytd=ytd,
            outlook=_outlook(kpi, mine, theirs, month, year, periods),
            kinds=kinds,
            off_run=_off_run(periods),
            trend=_trend(recent, kpi.direction),
            readings=tuple(r for r in mine if r.period_date <= periods[-1].end),
        )
    return found


def needs_commentary(found: KpiMonth) -> bool:
    """The owner explains a key KPI every month, and any KPI that is amber or red."""
    return found.kpi.is_key or found.current.rag in (Rag.AMBER, Rag.RED)
