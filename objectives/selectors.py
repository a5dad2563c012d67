"""Reads for the cascade: priorities → objectives (any depth) → KPIs with their status."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import QuerySet

from metrics.models import Kpi
from metrics.selectors import KpiStatus, kpi_statuses
from objectives.models import MAX_ACTIVE_PRIORITIES, Objective, Perspective, StrategicPriority
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


@dataclass
class ObjectiveNode:
    objective: Objective
    kpis: list[KpiStatus] = field(default_factory=list)
    children: list[ObjectiveNode] = field(default_factory=list)


@dataclass
class PriorityNode:
    priority: StrategicPriority
    objectives: list[ObjectiveNode] = field(default_factory=list)


@dataclass
class PerspectiveGroup:
    perspective: Perspective
    priorities: list[PriorityNode]


@dataclass
class Cascade:
    perspectives: list[PerspectiveGroup]
    unaligned_kpis: list[KpiStatus]
    too_many_priorities: bool
    active_priorities: int


def cascade_get(*, org: Organization) -> Cascade:
    """The whole cascade in a fixed number of queries (priorities, objectives, KPIs, status)."""
    with org_scope(org):
        priorities = list(StrategicPriority.objects.select_related("owner"))
        objectives = list(Objective.objects.select_related("team", "owner"))
        kpis = list(Kpi.objects.select_related("outcome_owner"))
    statuses = kpi_statuses(org=org, kpis=kpis)

    nodes = {objective.pk: ObjectiveNode(objective) for objective in objectives}
    unaligned: list[KpiStatus] = []
    for kpi in kpis:
        node = nodes.get(kpi.objective_id)
        (node.kpis if node else unaligned).append(statuses[kpi.pk])

    roots: dict[uuid.UUID, list[ObjectiveNode]] = defaultdict(list)
    for node in nodes.values():
        parent = nodes.get(node.objective.parent_id)
        if parent is not None:
            parent.children.append(node)
        else:
            roots[node.objective.priority_id].append(node)

    by_perspective: dict[str, list[PriorityNode]] = defaultdict(list)
    for priority in priorities:
        by_perspective[priority.perspective].append(PriorityNode(priority, roots[priority.pk]))
    active = sum(1 for priority in priorities if priority.is_active)
    return Cascade(
        perspectives=[
            PerspectiveGroup(Perspective(value), by_perspective[value])
            for value in Perspective.values
        ],
        unaligned_kpis=unaligned,
        too_many_priorities=active > MAX_ACTIVE_PRIORITIES,
        active_priorities=active,
    )
