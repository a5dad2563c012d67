"""A KPI over a calendar window — a month, a year to date — as a finance person reads it.

The values whose period starts inside the window are combined by the KPI's own aggregation
(sum, average, last, min, max), and so are the targets of the same periods: a weekly "new
logos" KPI summed over October is judged against the sum of October's weekly targets, an
average against the average target, a last value against the target of its period. A quarterly
KPI's month is the last quarter ended by the month's end (its one value covers the quarter). The
number's confidence is the weakest of the values it was made from.

The monthly business-review pack reads every number through here, so the month, the prior
month, the same month last year and the year to date follow one rule.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from metrics.models import Aggregation, Confidence, Kpi, MetricValue, Rag, Target
from metrics.rag import favourable, rag_between
from metrics.selectors import Reading
from perfmgmt.models import Organization
from perfmgmt.periods import Cadence, add_months, cadence_period_start, week_start
from perfmgmt.tenancy import org_scope

# Weakest first, as Confidence declares them.
CONFIDENCE_ORDER = {grade: rank for rank, grade in enumerate(Confidence.values)}


@dataclass(frozen=True)
class WindowTarget:
    value: float
    green: float
    amber: float


@dataclass(frozen=True)
class WindowValue:
    """A KPI over one window: its aggregated value and target, and how they compare."""

    start: dt.date
    end: dt.date
    value: float | None
    periods: int  # how many values went into it
    expected: int  # how many periods of the KPI's cadence start inside the window
    target: WindowTarget | None
    rag: Rag
    variance: float | None  # (value - target) / |target|; its sign is not good or bad
    favourable: bool | None  # on the good side of the target for the KPI's direction
    confidence: str | None  # the weakest grade among its values

    @property
    def rag_label(self) -> str:
        return Rag(self.rag).label


def month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def month_end(month: dt.date) -> dt.date:
    return add_months(month, 1) - dt.timedelta(days=1)


def month_window(cadence: str, month: dt.date) -> tuple[dt.date, dt.date]:
    """The window a KPI's number "for this month" covers. For a quarterly KPI, the last quarter
    that has ended by the month's end: November reports the quarter that ended in September."""
    if cadence == Cadence.QUARTERLY:
        start = cadence_period_start(cadence, month)
        if add_months(start, 3) - dt.timedelta(days=1) > month_end(month):
            start = add_months(start, -3)
        return start, add_months(start, 3) - dt.timedelta(days=1)
    return month_start(month), month_end(month)


def period_starts(cadence: str, start: dt.date, end: dt.date) -> list[dt.date]:
    """The first days of the cadence periods that start inside [start, end]."""
    if cadence == Cadence.WEEKLY:
        day = week_start(start)
        if day < start:
            day += dt.timedelta(days=7)
        step = [day + dt.timedelta(weeks=n) for n in range((end - day).days // 7 + 1)]
        return [d for d in step if d <= end]
    months = 3 if cadence == Cadence.QUARTERLY else 1
    day = cadence_period_start(cadence, start)
    if day < start:
        day = add_months(day, months)
    days = []
    while day <= end:
        days.append(day)
        day = add_months(day, months)
    return days


def aggregate(values: Sequence[float], aggregation: str) -> float | None:
    """`values` (oldest first) combined by a KPI's aggregation; None when there are none."""
    if not values:
        return None
    if aggregation == Aggregation.SUM:
        return float(sum(values))
    if aggregation == Aggregation.AVERAGE:
        return float(sum(values) / len(values))
    if aggregation == Aggregation.MIN:
        return float(min(values))
    if aggregation == Aggregation.MAX:
        return float(max(values))
    return float(values[-1])


def target_on(targets: Sequence[Target], day: dt.date) -> Target | None:
    for target in targets:
        if target.period_start <= day <= target.period_end:
            return target
    return None


def _window_target(
    kpi: Kpi, targets: Sequence[Target], days: Sequence[dt.date]
) -> WindowTarget | None:
    dated = [t for t in (target_on(targets, day) for day in days) if t is not None]
    if not dated:
        return None
    if kpi.aggregation in (Aggregation.SUM, Aggregation.AVERAGE):
        parts = [
            aggregate([getattr(t, name) for t in dated], kpi.aggregation)
            for name in ("value", "green_threshold", "amber_threshold")
        ]
        if kpi.aggregation == Aggregation.SUM and len(dated) < len(days):
            return None  # a sum judged against some periods' targets only would flatter it
        value, green, amber = (float(p) for p in parts if p is not None)
        return WindowTarget(value, green, amber)
    last = dated[-1]
    return WindowTarget(last.value, last.green_threshold, last.amber_threshold)


def window_value(
    kpi: Kpi,
    readings: Sequence[Reading],
    targets: Sequence[Target],
    start: dt.date,
    end: dt.date,
) -> WindowValue:
    """`kpi` over [start, end]: `readings` oldest first (any span: the window is cut here)."""
    inside = [r for r in readings if start <= r.period_date <= end]
    days = period_starts(kpi.cadence, start, end)
    value = aggregate([r.value for r in inside], kpi.aggregation)
    target = _window_target(kpi, targets, days) if value is not None or days else None
    rag = (
        rag_between(value, target.green, target.amber, kpi.direction)
        if value is not None and target is not None
        else Rag.NONE
    )
    variance = (
        (value - target.value) / abs(target.value)
        if value is not None and target is not None and target.value != 0
        else None
    )
    weakest = min((r.confidence for r in inside), key=CONFIDENCE_ORDER.__getitem__, default=None)
    return WindowValue(
        start=start,
        end=end,
        value=value,
        periods=len(inside),
        expected=len(days),
        target=target,
        rag=rag,
        variance=variance,
        favourable=favourable(value, target.value if target else None, kpi.direction),
        confidence=weakest,
    )


def window_readings(
    *, org: Organization, kpi_ids: Sequence[uuid.UUID], start: dt.date, end: dt.date
) -> dict[uuid.UUID, list[Reading]]:
    """Every value of these KPIs with a period date in [start, end], oldest first; one query."""
    found: dict[uuid.UUID, list[Reading]] = defaultdict(list)
    with org_scope(org):
        rows = (
            MetricValue.objects.filter(
                kpi_id__in=kpi_ids, period_date__gte=start, period_date__lte=end
            )
            .order_by("kpi_id", "period_date")
            .values_list("kpi_id", "period_date", "value", "confidence")
        )
        for row in rows.iterator(chunk_size=5000):
            found[row[0]].append(Reading(*row))
    return found


def window_targets(
    *, org: Organization, kpi_ids: Sequence[uuid.UUID], start: dt.date, end: dt.date
) -> dict[uuid.UUID, list[Target]]:
    """The targets of these KPIs whose period overlaps [start, end], by period; one query."""
    found: dict[uuid.UUID, list[Target]] = defaultdict(list)
    with org_scope(org):
        for target in Target.objects.filter(
            kpi_id__in=kpi_ids, period_end__gte=start, period_start__lte=end
        ).order_by("kpi_id", "period_start"):
            found[target.kpi_id].append(target)
    return found
