"""The learning loop: when a KPI misses its period's target, its owner records why (execution,
strategy or measurement) and the next step; the agenda and the pack show the split, and a KPI
missed for "measurement" MEASUREMENT_FLAG times has its definition flagged for review.

A period's target is missed when the period has ended and the last value inside it falls short
of the target's green threshold (in the KPI's direction), the same rule the status pages use.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count

from metrics.models import Kpi, MetricValue, Rag, Target
from metrics.rag import rag_status
from perfmgmt.models import Membership, Organization
from perfmgmt.periods import org_today
from perfmgmt.permissions import can_write_commentary
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_allowed, ensure_same_org, validated_save
from reviews.models import MissCause, MissReason, ReviewMeeting

MEASUREMENT_FLAG = 3  # misses put down to measurement before the definition is flagged
LOOKBACK_DAYS = 400  # how far back an ended period still asks for its reason


@dataclass(frozen=True)
class Miss:
    kpi: Kpi
    target: Target
    actual: float  # the period's last value
    reason: MissReason | None

    @property
    def period_start(self) -> dt.date:
        return self.target.period_start


def missed_periods(
    *, org: Organization, kpis: Sequence[Kpi], today: dt.date | None = None
) -> list[Miss]:
    """The ended period targets (within LOOKBACK_DAYS) that `kpis` missed, newest first, with
    the reason recorded for each (or None); three queries."""
    today = today or org_today(org)
    by_id = {kpi.pk: kpi for kpi in kpis}
    with org_scope(org):
        targets = list(
            Target.objects.filter(
                kpi_id__in=by_id,
                period_end__lt=today,
                period_end__gte=today - dt.timedelta(days=LOOKBACK_DAYS),
            )
        )
        if not targets:
            return []
        values: dict[uuid.UUID, list[tuple[dt.date, float]]] = defaultdict(list)
        for kpi_id, day, value in (
            MetricValue.objects.filter(
                kpi_id__in={t.kpi_id for t in targets},
                period_date__gte=min(t.period_start for t in targets),
                period_date__lte=max(t.period_end for t in targets),
            )
            .order_by("kpi_id", "period_date")
            .values_list("kpi_id", "period_date", "value")
        ):
            values[kpi_id].append((day, value))
        reasons = {
            (r.kpi_id, r.period_start): r
            for r in MissReason.objects.filter(kpi_id__in={t.kpi_id for t in targets})
        }
    found = []
    for target in targets:
        inside = [
            v for day, v in values[target.kpi_id] if target.period_start <= day <= target.period_end
        ]
        if not inside:
            continue  # no number: the health check's "no recent value", not a miss
        kpi = by_id[target.kpi_id]
        if rag_status(inside[-1], target, kpi.direction) == Rag.GREEN:
            continue
        found.append(
            Miss(kpi, target, inside[-1], reasons.get((target.kpi_id, target.period_start)))
        )
    found.sort(key=lambda m: (-m.target.period_end.toordinal(), m.kpi.name))
    return found


def miss_split(misses: Iterable[Miss]) -> dict[str, int]:
    """How many misses were put down to each cause, and how many are not explained yet."""
    counted = Counter(m.reason.cause if m.reason else "unexplained" for m in misses)
    return {cause: counted[cause] for cause in [*MissCause.values, "unexplained"]}


def definition_review_due(*, org: Organization, kpi_ids: Sequence[uuid.UUID]) -> dict:
    """The KPIs among `kpi_ids` missed for "measurement" at least MEASUREMENT_FLAG times, with
    how many; one query."""
    with org_scope(org):
        rows = (
            MissReason.objects.filter(kpi_id__in=kpi_ids, cause=MissCause.MEASUREMENT)
            .values("kpi_id")
            .annotate(n=Count("pk"))
            .filter(n__gte=MEASUREMENT_FLAG)
        )
        return {row["kpi_id"]: row["n"] for row in rows}


@transaction.atomic
def miss_reason_record(
    *,
    org: Organization,
    actor: Membership,
    kpi: Kpi,
    period_start: dt.date,
    cause: str,
    next_step: str,
    meeting: ReviewMeeting | None = None,
) -> MissReason:
    """Record (or correct) why `kpi` missed the target of the period starting `period_start`.
    The KPI's outcome owner (or a strategy role) records it; only a missed period takes one."""
    ensure_same_org(org, kpi=kpi, meeting=meeting, actor=actor)
    ensure_allowed(can_write_commentary(actor, kpi), "Only the KPI's outcome owner records this.")
    if cause not in MissCause.values:
        raise ValidationError({"cause": "Choose execution, strategy or measurement."})
    if not next_step.strip():
        raise ValidationError({"next_step": "Say what happens next."})
    miss = next(
        (m for m in missed_periods(org=org, kpis=[kpi]) if m.period_start == period_start), None
    )
    if miss is None:
        raise ValidationError(
            {"period_start": "This KPI did not miss a target for a period starting then."}
        )
    reason = miss.reason or MissReason(
        organization=org, kpi=kpi, period_start=period_start, recorded_by=actor.user
    )
    reason.period_end = miss.target.period_end
    reason.target_value = miss.target.value
    reason.actual = miss.actual
    reason.cause = cause
    reason.next_step = next_step.strip()
    reason.meeting = meeting or reason.meeting
    validated_save(org, reason)
    return reason
