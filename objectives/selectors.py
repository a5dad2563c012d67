"""Reads for priorities and objectives (the cascade with its KPIs is read in metrics.cascade)."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import Q, QuerySet

from objectives.models import Objective, StrategicPriority
from perfmgmt.models import Organization
from perfmgmt.selectors import get_or_404
from perfmgmt.tenancy import org_scope


def priority_get(*, org: Organization, priority_id: uuid.UUID | str) -> StrategicPriority:
    with org_scope(org):
        return get_or_404(
            StrategicPriority.objects.select_related("owner"), priority_id, "priority"
        )


def objective_get(*, org: Organization, objective_id: uuid.UUID | str) -> Objective:
    with org_scope(org):
        return get_or_404(
            Objective.objects.select_related("team", "owner", "priority", "parent"),
            objective_id,
            "objective",
        )


def priority_list(*, org: Organization) -> QuerySet[StrategicPriority]:
    with org_scope(org):
        return StrategicPriority.objects.select_related("owner")


def objective_list(*, org: Organization) -> QuerySet[Objective]:
    with org_scope(org):
        return Objective.objects.select_related("team", "owner", "priority", "parent")


def running_q(start: dt.date, end: dt.date | None = None, *, prefix: str = "") -> Q:
    """The one rule for "an objective running in a window": its period overlaps [start, end]
    (one day when `end` is None). `prefix` reaches it through a relation ("objective__")."""
    return Q(**{f"{prefix}period_start__lte": end or start, f"{prefix}period_end__gte": start})


def objectives_running(
    *, org: Organization, start: dt.date, end: dt.date | None = None
) -> QuerySet[Objective]:
    """The organisation's objectives running on `start` (or at any time up to `end`)."""
    with org_scope(org):
        return objective_list(org=org).filter(running_q(start, end))
