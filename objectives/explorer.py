"""Reads for the cascade explorer: filters, one priority's subtree, and the strategy map."""

from __future__ import annotations

import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q

from metrics.models import Kpi
from metrics.selectors import kpi_statuses
from objectives.models import Objective, Perspective, StrategicPriority
from objectives.selectors import ObjectiveNode
from perfmgmt.models import Organization
from perfmgmt.tenancy import org_scope

RAG_ORDER = {"red": 0, "amber": 1, "green": 2, "none": 3}


@dataclass(frozen=True)
class Filters:
    perspective: str = ""
    team: str = ""
    owner: str = ""
    status: str = ""
    kind: str = ""

    @classmethod
    def from_query(cls, query: dict) -> Filters:
        return cls(**{name: (query.get(name) or "").strip() for name in cls.__dataclass_fields__})

    @property
    def narrows_kpis(self) -> bool:
        return bool(self.status or self.kind)

    def query(self) -> str:
        from urllib.parse import urlencode

        return urlencode({k: v for k, v in self.__dict__.items() if v})


def _objectives(org: Organization, filters: Filters, priority_ids: list) -> list[Objective]:
    objectives = Objective.objects.select_related("team", "owner").filter(
        priority_id__in=priority_ids
    )
    if filters.team:
        objectives = objectives.filter(team__slug=filters.team)
    if filters.owner:
        objectives = objectives.filter(
            Q(owner__username=filters.owner) | Q(kpis__outcome_owner__username=filters.owner)
        )
    return list(objectives.distinct())


def _tree(
    org: Organization, filters: Filters, objectives: list[Objective]
) -> dict[uuid.UUID, list[ObjectiveNode]]:
    """Objectives (any depth) under each priority, with their KPIs' status, filtered."""
    with org_scope(org):
        kpis = Kpi.objects.select_related("outcome_owner").filter(objective__in=objectives)
        if filters.kind:
            kpis = kpis.filter(kind=filters.kind)
        kpis = list(kpis)
    statuses = kpi_statuses(org=org, kpis=kpis)
    nodes = {o.pk: ObjectiveNode(o) for o in objectives}
    for kpi in kpis:
        status = statuses[kpi.pk]
        if filters.status and status.rag != filters.status:
            continue
        nodes[kpi.objective_id].kpis.append(status)
    if filters.narrows_kpis:
        nodes = {pk: n for pk, n in nodes.items() if n.kpis}
    roots: dict = defaultdict(list)
    for node in nodes.values():
        parent = nodes.get(node.objective.parent_id)
        if parent is not None:
            parent.children.append(node)
        else:
            roots[node.objective.priority_id].append(node)
    return roots


@dataclass
class PriorityRow:
    priority: StrategicPriority
    objective_count: int
    worst: str


@dataclass
class Explorer:
    rows: list[tuple[Perspective, list[PriorityRow]]]


def explorer_get(*, org: Organization, filters: Filters) -> Explorer:
    """Priorities by perspective with how many objectives match and their worst status."""
    with org_scope(org):
        priorities = StrategicPriority.objects.select_related("owner")
        if filters.perspective:
            priorities = priorities.filter(perspective=filters.perspective)
        priorities = list(priorities)
        objectives = _objectives(org, filters, [p.pk for p in priorities])
    roots = _tree(org, filters, objectives)
    rows: dict = defaultdict(list)
    for priority in priorities:
        nodes = _flatten(roots[priority.pk])
        worst = min((s.rag for n in nodes for s in n.kpis), key=RAG_ORDER.get, default="none")
        rows[priority.perspective].append(PriorityRow(priority, len(nodes), worst))
    return Explorer([(Perspective(v), rows[v]) for v in Perspective.values if rows[v]])


def _flatten(nodes: list[ObjectiveNode]) -> list[ObjectiveNode]:
    flat = []
    for node in nodes:
        flat.append(node)
        flat.extend(_flatten(node.children))
    return flat


def priority_subtree(
    *, org: Organization, priority: StrategicPriority, filters: Filters
) -> list[ObjectiveNode]:
    with org_scope(org):
        objectives = _objectives(org, filters, [priority.pk])
    return _tree(org, filters, objectives)[priority.pk]


@dataclass
class MapBox:
    x: int
    y: int
    width: int
    height: int
    title: str
    status: str
    url: str = ""
    kind: str = "objective"


@dataclass
class StrategyMap:
    width: int
    height: int
    bands: list[tuple[str, int, int]] = field(default_factory=list)  # label, y, height
    boxes: list[MapBox] = field(default_factory=list)
    lines: list[tuple[int, int, int, int]] = field(default_factory=list)


def strategy_map(*, org: Organization, filters: Filters, url_for) -> StrategyMap:  # noqa: ANN001
    """Four perspective bands; priorities as boxes; their objectives beneath them, coloured by
    the worst status of their KPIs, with a line to the priority (or parent) they serve."""
    with org_scope(org):
        priorities = list(StrategicPriority.objects.all())
        objectives = _objectives(org, filters, [p.pk for p in priorities])
    nodes = {
        n.objective.pk: n
        for root in _tree(org, filters, objectives).values()
        for n in _flatten(root)
    }
    columns = 6
    box_w, box_h, gap = 150, 34, 10
    width = 40 + columns * (box_w + gap)
    result = StrategyMap(width=width, height=0)
    y = 0
    for value in Perspective.values:
        in_band = [p for p in priorities if p.perspective == value]
        band_top = y
        y += 30
        for priority in in_band:
            pbox = MapBox(20, y, width - 40, box_h, priority.title, "priority", kind="priority")
            result.boxes.append(pbox)
            y += box_h + gap
            children = [n for n in nodes.values() if n.objective.priority_id == priority.pk]
            positions = {}
            for index, node in enumerate(children):
                col, row = index % columns, index // columns
                box = MapBox(
                    20 + col * (box_w + gap),
                    y + row * (box_h + gap),
                    box_w,
                    box_h,
                    node.objective.title,
                    min((s.rag for s in node.kpis), key=RAG_ORDER.get, default="none"),
                    url=url_for(node.objective),
                )
                positions[node.objective.pk] = box
                result.boxes.append(box)
            for node in children:
                box = positions[node.objective.pk]
                parent = positions.get(node.objective.parent_id)
                top_x, top_y = (
                    (parent.x + box_w // 2, parent.y + box_h)
                    if parent
                    else (box.x + box_w // 2, pbox.y + box_h)
                )
                result.lines.append((top_x, top_y, box.x + box_w // 2, box.y))
            rows = (len(children) + columns - 1) // columns
            y += rows * (box_h + gap) + gap
        y += 10
        result.bands.append((Perspective(value).label, band_top, y - band_top))
    result.height = y
    return result
