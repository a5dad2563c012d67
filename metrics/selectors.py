"""Reads for KPIs: one KPI, and the status (latest value, target, RAG) of many at once."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.db import connection
from django.db.models import Q, QuerySet

from metrics.formats import fmt_variance
from metrics.models import (
    Confidence,
    Kpi,
    KpiLink,
    KpiPin,
    MetricValue,
    Rag,
    Target,
)
from metrics.rag import favourable, rag_status, variance
from perfmgmt.history import Change, history_of
from perfmgmt.models import Organization
from perfmgmt.periods import cadence_length_days, cadence_period_start, org_today
from perfmgmt.selectors import get_or_404
from perfmgmt.tenancy import org_scope


def kpi_get(*, org: Organization, kpi_id: uuid.UUID | str) -> Kpi:
    with org_scope(org):
        return get_or_404(
            Kpi.objects.select_related("objective__team", "outcome_owner", "data_owner"),
            kpi_id,
            "KPI",
        )


def kpi_list(*, org: Organization) -> QuerySet[Kpi]:
    with org_scope(org):
        return Kpi.objects.select_related("objective__team", "outcome_owner", "data_owner")


OFF_TARGET = (Rag.AMBER, Rag.RED)


@dataclass(frozen=True, slots=True)
class Reading:
    """One recorded value, as the status pages read it: the few fields they show, without the
    cost of a model instance per row (an organisation's pages read hundreds at once)."""

    kpi_id: uuid.UUID
    period_date: dt.date
    value: float
    confidence: str

    @property
    def confidence_label(self) -> str:
        return Confidence(self.confidence).label


@dataclass(frozen=True)
class KpiStatus:
    kpi: Kpi
    latest: Reading | None
    target: Target | None
    rag: Rag
    variance: float | None
    stale: bool
    previous_rag: Rag = Rag.NONE  # of the value before the latest, against its own target
    history: tuple[Reading, ...] = ()  # the values read for it, newest first (see per_kpi)

    @property
    def off_target_twice(self) -> bool:
        """The latest value and the one before it both missed their target (amber or red)."""
        return self.rag in OFF_TARGET and self.previous_rag in OFF_TARGET

    @property
    def rag_label(self) -> str:
        return Rag(self.rag).label

    @property
    def favourable(self) -> bool | None:
        """The latest value is on the good side of its target, in the KPI's direction."""
        value = self.latest.value if self.latest else None
        return favourable(value, self.target.value if self.target else None, self.kpi.direction)

    @property
    def variance_text(self) -> str:
        """ "+15.4 % adverse" for a lower-is-better KPI above its target; "—" without one."""
        return fmt_variance(self.variance, self.favourable)


RECENT_VALUES_SQL = """
SELECT v.kpi_id, v.period_date, v.value, v.confidence
FROM unnest(%s::uuid[]) AS k(id)
CROSS JOIN LATERAL (
    SELECT mv.kpi_id, mv.period_date, mv.value, mv.confidence
    FROM metrics_metricvalue mv
    WHERE mv.kpi_id = k.id AND mv.organization_id = %s
    ORDER BY mv.period_date DESC
    LIMIT %s
) v
"""


def recent_values(
    *, org: Organization, kpi_ids: Sequence[uuid.UUID], per_kpi: int
) -> dict[uuid.UUID, list[Reading]]:
    """The last `per_kpi` values of each KPI, newest first.

    One statement that probes the (kpi, period_date) index once per KPI, so its cost follows the
    number of KPIs asked for, not the years of history behind them. Raw SQL bypasses the scoped
    manager, so the organisation is in the WHERE clause explicitly.
    """
    found: dict[uuid.UUID, list[Reading]] = defaultdict(list)
    if not kpi_ids:
        return found
    with connection.cursor() as cursor:
        cursor.execute(RECENT_VALUES_SQL, [[str(pk) for pk in kpi_ids], org.pk, per_kpi])
        for row in cursor.fetchall():
            reading = Reading(*row)
            found[reading.kpi_id].append(reading)
    return found


def last_complete_period(cadence: str, today: dt.date) -> dt.date:
    """The first day of the last cadence period that has ended: the one a value is due for."""
    return cadence_period_start(cadence, today - dt.timedelta(days=cadence_length_days(cadence)))


def _is_stale(kpi: Kpi, latest: Reading | None, today: dt.date) -> bool:
    """No value for the last completed cadence period."""
    return latest is None or latest.period_date < last_complete_period(kpi.cadence, today)


def _target_for(targets: Sequence[Target], day: dt.date) -> Target | None:
    for target in targets:
        if target.period_start <= day <= target.period_end:
            return target
    return None


def kpi_statuses(
    *,
    org: Organization,
    kpis: Sequence[Kpi],
    recent: dict[uuid.UUID, list[Reading]] | None = None,
    per_kpi: int = 2,
) -> dict[uuid.UUID, KpiStatus]:
    """Status of many KPIs in a fixed number of queries, whatever their number.

    `recent` (newest first per KPI, from recent_values) saves the values query when the caller
    has already read them; otherwise the last `per_kpi` values are read (a caller that needs a
    longer run, like the attention rules, asks for more in the same query). With fewer than two
    per KPI, `previous_rag` is NONE. Each status keeps what was read as its `history`.
    """
    today = org_today(org)
    ids = [kpi.pk for kpi in kpis]
    if recent is None:
        recent = recent_values(org=org, kpi_ids=ids, per_kpi=max(per_kpi, 2))
    with org_scope(org):
        targets: dict[uuid.UUID, list[Target]] = defaultdict(list)
        oldest = min((v.period_date for vs in recent.values() for v in vs[:2]), default=today)
        for dated in Target.objects.filter(kpi_id__in=ids, period_end__gte=min(oldest, today)):
            targets[dated.kpi_id].append(dated)
    statuses = {}
    for kpi in kpis:
        values = recent.get(kpi.pk, [])
        value = values[0] if values else None
        previous = values[1] if len(values) > 1 else None
        target = _target_for(targets[kpi.pk], value.period_date if value is not None else today)
        number = value.value if value is not None else None
        statuses[kpi.pk] = KpiStatus(
            kpi=kpi,
            latest=value,
            target=target,
            rag=rag_status(number, target, kpi.direction),
            variance=variance(number, target),
            stale=_is_stale(kpi, value, today),
            previous_rag=rag_status(
                previous.value, _target_for(targets[kpi.pk], previous.period_date), kpi.direction
            )
            if previous is not None
            else Rag.NONE,
            history=tuple(values),
        )
    return statuses


@dataclass(frozen=True)
class TargetMove:
    """A change of a target, read from the audit trail; `mid_period`: made while the target's
    period was running (in the organisation's calendar), the move a pack must show."""

    change: Change
    kpi_id: uuid.UUID
    period_start: dt.date
    period_end: dt.date
    old_value: float | None
    new_value: float | None
    mid_period: bool


def target_moves(
    *,
    org: Organization,
    kpi_ids: list | None = None,
    overlapping: tuple[dt.date, dt.date] | None = None,
    mid_period_only: bool = False,
    limit: int = 500,
) -> list[TargetMove]:
    """Inserts, updates and deletes of targets (of the given KPIs, of periods overlapping
    `overlapping`), newest first."""
    filters: dict = {}
    if kpi_ids is not None:
        filters["kpi_id__in"] = kpi_ids
    if overlapping is not None:
        filters["period_start__lte"] = overlapping[1]
        filters["period_end__gte"] = overlapping[0]
    moves = []
    for change in history_of(org=org, model=Target, filters=filters, limit=limit):
        value = change.data["value"]
        old = next((f.old for f in change.fields if f.name == "value"), value)
        start, end = change.data["period_start"], change.data["period_end"]
        day = org_today(org, change.at)
        mid = change.action != "insert" and start <= day <= end
        if mid_period_only and not mid:
            continue
        moves.append(
            TargetMove(
                change=change,
                kpi_id=change.data["kpi"],
                period_start=start,
                period_end=end,
                old_value=None if change.action == "insert" else old,
                new_value=None if change.action == "delete" else value,
                mid_period=mid,
            )
        )
    return moves


@dataclass(frozen=True)
class KpiDetail:
    status: KpiStatus
    targets: list[Target]
    target_changes: list[TargetMove]
    leads: list[Kpi]
    lags: list[Kpi]
    chart: dict


CHART_POINTS = 260  # five years of weekly values


def kpi_chart(*, org: Organization, kpi: Kpi) -> dict:
    """Actuals and the target band over time, as plain JSON for the page's chart."""
    with org_scope(org):
        values = list(
            MetricValue.objects.filter(kpi=kpi)
            .order_by("-period_date")
            .values_list("period_date", "value", "confidence")[:CHART_POINTS]
        )
        oldest = values[-1][0] if values else org_today(org)
        targets = list(
            Target.objects.filter(kpi=kpi, period_end__gte=oldest).order_by("period_start")
        )
    points = []
    for target in targets:
        for day in (target.period_start, target.period_end):
            points.append(
                {
                    "date": day.isoformat(),
                    "value": target.value,
                    "green": target.green_threshold,
                    "amber": target.amber_threshold,
                }
            )
    return {
        "unit": kpi.unit,
        "values": [
            {"date": d.isoformat(), "value": v, "confidence": c} for d, v, c in reversed(values)
        ],
        "targets": points,
    }


def target_list(*, org: Organization, kpi: Kpi | None = None) -> QuerySet[Target]:
    """The organisation's targets (of one KPI, when given)."""
    with org_scope(org):
        targets = Target.objects.all()
        return targets if kpi is None else targets.filter(kpi=kpi)


def value_list(
    *,
    org: Organization,
    kpi: Kpi | None = None,
    start: dt.date | None = None,
    end: dt.date | None = None,
) -> QuerySet[MetricValue]:
    """The organisation's values (of one KPI, with a period date from `start` to `end`)."""
    with org_scope(org):
        values = MetricValue.objects.all()
        if kpi is not None:
            values = values.filter(kpi=kpi)
        if start is not None:
            values = values.filter(period_date__gte=start)
        if end is not None:
            values = values.filter(period_date__lte=end)
        return values


def kpi_values(*, org: Organization, kpi: Kpi) -> QuerySet[MetricValue]:
    """A KPI's values with who recorded them, unevaluated: the page paginates it."""
    return value_list(org=org, kpi=kpi).select_related("recorded_by")


def kpi_detail(*, org: Organization, kpi: Kpi) -> KpiDetail:
    with org_scope(org):
        links = list(
            KpiLink.objects.filter(lead=kpi).select_related("lag")
            | KpiLink.objects.filter(lag=kpi).select_related("lead")
        )
        return KpiDetail(
            status=kpi_statuses(org=org, kpis=[kpi])[kpi.pk],
            targets=list(Target.objects.filter(kpi=kpi).order_by("-period_start")),
            target_changes=target_moves(org=org, kpi_ids=[kpi.pk], limit=50),
            leads=[link.lead for link in links if link.lag_id == kpi.pk],
            lags=[link.lag for link in links if link.lead_id == kpi.pk],
            chart=kpi_chart(org=org, kpi=kpi),
        )


def as_uuid(ref: object) -> uuid.UUID | None:
    """`ref` as a UUID if it is one or reads as one (any case, with or without hyphens)."""
    if isinstance(ref, uuid.UUID):
        return ref
    try:
        return uuid.UUID(ref) if isinstance(ref, str) else None
    except ValueError:
        return None


def kpis_by_ref(*, org: Organization, refs: Iterable[object]) -> dict[object, Kpi]:
    """The organisation's KPIs by the references clients give (`/values/`, `/targets/`,
    `?kpi=`, CSV imports and pulls), each found reference mapped to its KPI.

    The one precedence: a reference that reads as a UUID and is the id of one of the
    organisation's KPIs is that KPI; any other text is a key. The KPI service refuses keys
    that read as UUIDs, so an id and a key never name two KPIs (a key stored before that rule
    is still found, as a key, when no KPI has it as id). A reference that is not text or a
    UUID, or holds a NUL (PostgreSQL text cannot), is never found. One query, whatever the
    number of references; the KPIs come with their objective and team (the permission checks
    read them).
    """
    wanted = {ref for ref in refs if isinstance(ref, str | uuid.UUID) and "\x00" not in str(ref)}
    ids = {pk for pk in map(as_uuid, wanted) if pk is not None}
    keys = {ref for ref in wanted if isinstance(ref, str)}
    if not wanted:
        return {}
    with org_scope(org):
        found = list(
            Kpi.objects.filter(Q(pk__in=ids) | Q(key__in=keys)).select_related("objective__team")
        )
    by_id = {kpi.pk: kpi for kpi in found}
    by_key = {kpi.key: kpi for kpi in found}
    resolved: dict[object, Kpi] = {}
    for ref in wanted:
        pk = as_uuid(ref)
        kpi = by_id.get(pk) if pk is not None else None
        if kpi is None and isinstance(ref, str):
            kpi = by_key.get(ref)
        if kpi is not None:
            resolved[ref] = kpi
    return resolved


def kpi_by_ref(*, org: Organization, ref: str) -> Kpi | None:
    """One KPI by id or key (`kpis_by_ref`'s precedence); None when there is none."""
    return kpis_by_ref(org=org, refs=[ref]).get(ref)


def kpi_pinned(*, org: Organization, user: User, kpi: Kpi) -> bool:
    with org_scope(org):
        return KpiPin.objects.filter(user=user, kpi=kpi).exists()


def kpis_with_target_moved(
    *, org: Organization, kpi_ids: Sequence[uuid.UUID], day: dt.date
) -> dict[uuid.UUID, TargetMove]:
    """The KPIs among `kpi_ids` whose target for the period holding `day` was changed or
    deleted while that period ran, with the latest such move (from the audit trail), for the
    attention rules and the health check."""
    moves = target_moves(
        org=org, kpi_ids=list(kpi_ids), overlapping=(day, day), mid_period_only=True
    )
    latest: dict[uuid.UUID, TargetMove] = {}
    for move in moves:  # newest first: the first of each KPI is its latest
        latest.setdefault(uuid.UUID(str(move.kpi_id)), move)
    return latest
