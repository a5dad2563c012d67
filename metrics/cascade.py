"""Reads for the cascade with its numbers: priorities → objectives (any depth) → KPIs with their
status, as the whole cascade, the filtered explorer and the strategy map.

The cascade is read on the metrics floor because every node carries its KPIs' status; the
objectives floor below knows priorities and objectives only.
"""

from __future__ import annotations

import textwrap
import uuid
from collections import defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from urllib.parse import urlencode

from django.contrib.auth.models import User
from django.db.models import Q

from metrics.models import Kpi
from metrics.rag import Rollup, rollup
from metrics.selectors import KpiStatus, kpi_statuses
from objectives.models import MAX_ACTIVE_PRIORITIES, Objective, Perspective, StrategicPriority
from perfmgmt.models import Organization
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope


@dataclass
class ObjectiveNode:
    objective: Objective
    kpis: list[KpiStatus] = field(default_factory=list)
    children: list[ObjectiveNode] = field(default_factory=list)


def build_tree(
    objectives: list[Objective],
    statuses: Iterable[KpiStatus],
    *,
    keep: Callable[[KpiStatus], bool] = lambda status: True,
    prune: bool = False,
) -> tuple[dict[uuid.UUID, list[ObjectiveNode]], list[KpiStatus]]:
    """The objectives (any depth) under each priority, each with its KPIs' status.

    KPIs that `keep` refuses are left out; with `prune`, so are the objectives left without a
    KPI (their sub-objectives then hang from the priority). Returns the top objectives by
    priority id, and the KPIs whose objective is not among `objectives` (unaligned).
    """
    # Looked up by a KPI's objective and an objective's parent, either of which may be None:
    # None is never a key, so it finds nothing.
    nodes: dict[uuid.UUID | None, ObjectiveNode] = {
        objective.pk: ObjectiveNode(objective) for objective in objectives
    }
    unaligned: list[KpiStatus] = []
    for status in statuses:
        if not keep(status):
            continue
        node = nodes.get(status.kpi.objective_id)
        (node.kpis if node else unaligned).append(status)
    if prune:
        nodes = {pk: node for pk, node in nodes.items() if node.kpis}
    roots: dict[uuid.UUID, list[ObjectiveNode]] = defaultdict(list)
    for node in nodes.values():
        parent = nodes.get(node.objective.parent_id)
        if parent is not None:
            parent.children.append(node)
        else:
            roots[node.objective.priority_id].append(node)
    return roots, unaligned


def _flatten(nodes: list[ObjectiveNode]) -> list[ObjectiveNode]:
    flat = []
    for node in nodes:
        flat.append(node)
        flat.extend(_flatten(node.children))
    return flat


# The whole cascade.


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
    roots, unaligned = build_tree(objectives, [statuses[kpi.pk] for kpi in kpis])

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


# The explorer: the cascade filtered, one priority at a time.


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
        chosen = Kpi.objects.select_related("outcome_owner").filter(objective__in=objectives)
        if filters.kind:
            chosen = chosen.filter(kind=filters.kind)
        kpis = list(chosen)
    statuses = kpi_statuses(org=org, kpis=kpis)
    roots, _ = build_tree(
        objectives,
        [statuses[kpi.pk] for kpi in kpis],
        keep=lambda status: not filters.status or status.rag == filters.status,
        prune=filters.narrows_kpis,
    )
    return roots


@dataclass
class PriorityRow:
    priority: StrategicPriority
    objective_count: int
    status: Rollup  # the roll-up rule over its KPIs (metrics.rag.rollup)


@dataclass
class Explorer:
    rows: list[tuple[Perspective, list[PriorityRow]]]


def cascade_owners(*, org: Organization) -> list[tuple[str, str]]:
    """(username, name) of the people who own an objective or a KPI's outcome, by name: the
    explorer's owner filter offers them, not everyone who can sign in."""
    with org_scope(org):
        owners = User.objects.filter(
            Q(owned_objectives__organization=org) | Q(owned_kpis__organization=org)
        ).distinct()
        people = [(user.username, display_name(user)) for user in owners]
    return sorted(people, key=lambda person: (person[1].casefold(), person[0]))


def _explored(
    org: Organization, filters: Filters
) -> tuple[list[StrategicPriority], dict[uuid.UUID, list[ObjectiveNode]]]:
    """The priorities the filters keep, and the filtered tree under each."""
    with org_scope(org):
        chosen = StrategicPriority.objects.select_related("owner")
        if filters.perspective:
            chosen = chosen.filter(perspective=filters.perspective)
        priorities = list(chosen)
        objectives = _objectives(org, filters, [p.pk for p in priorities])
    return priorities, _tree(org, filters, objectives)


def explorer_get(*, org: Organization, filters: Filters) -> Explorer:
    """Priorities by perspective with how many objectives match and their status by the
    roll-up rule."""
    priorities, roots = _explored(org, filters)
    rows: dict = defaultdict(list)
    for priority in priorities:
        nodes = _flatten(roots[priority.pk])
        status = rollup((s.rag, s.kpi.is_key) for n in nodes for s in n.kpis)
        rows[priority.perspective].append(PriorityRow(priority, len(nodes), status))
    return Explorer([(Perspective(v), rows[v]) for v in Perspective.values if rows[v]])


def explorer_kpis(
    *, org: Organization, filters: Filters
) -> list[tuple[StrategicPriority, Objective, KpiStatus]]:
    """The KPIs the explorer shows for `filters`, with their priority and objective, in the
    explorer's order (perspective, priority, the tree depth first): what its export writes."""
    priorities, roots = _explored(org, filters)
    order = {value: i for i, value in enumerate(Perspective.values)}
    priorities.sort(key=lambda p: (order[p.perspective], p.rank, p.title))
    return [
        (priority, node.objective, status)
        for priority in priorities
        for node in _flatten(roots[priority.pk])
        for status in node.kpis
    ]


def priority_subtree(
    *, org: Organization, priority: StrategicPriority, filters: Filters
) -> list[ObjectiveNode]:
    with org_scope(org):
        objectives = _objectives(org, filters, [priority.pk])
    return _tree(org, filters, objectives)[priority.pk]


# The strategy map.


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
    lines: list[str] = field(default_factory=list)  # the title wrapped to fit the box


@dataclass
class StrategyMap:
    width: int
    height: int
    bands: list[tuple[str, int, int]] = field(default_factory=list)  # label, y, height
    boxes: list[MapBox] = field(default_factory=list)
    lines: list[tuple[int, int, int, int]] = field(default_factory=list)


MAP_COLUMNS = 6
BOX_W, BOX_H, GAP = 150, 44, 10
BOX_CHARS = 19  # a line of the box title at 12px, leaving room for the status mark


def _depth(node: ObjectiveNode, nodes: dict[uuid.UUID | None, ObjectiveNode]) -> int:
    parent = nodes.get(node.objective.parent_id)
    if parent is None or parent.objective.priority_id != node.objective.priority_id:
        return 0
    return 1 + _depth(parent, nodes)


def strategy_map(
    *, org: Organization, filters: Filters, url_for: Callable[[Objective], str]
) -> StrategyMap:
    """Four perspective bands; priorities as bars; their objectives beneath them, a row per level
    of the cascade (sub-objectives under their parents), coloured by their KPIs' status under
    the roll-up rule, with a line up to the objective or priority each one serves."""
    with org_scope(org):
        priorities = list(StrategicPriority.objects.all())
        objectives = _objectives(org, filters, [p.pk for p in priorities])
    nodes: dict[uuid.UUID | None, ObjectiveNode] = {  # looked up by parent id, None at the top
        n.objective.pk: n
        for root in _tree(org, filters, objectives).values()
        for n in _flatten(root)
    }
    width = 40 + MAP_COLUMNS * (BOX_W + GAP)
    result = StrategyMap(width=width, height=0)
    y = 0
    for value in Perspective.values:
        band_top = y
        y += 30
        for priority in (p for p in priorities if p.perspective == value):
            bar = MapBox(20, y, width - 40, 34, priority.title, "priority", kind="priority")
            result.boxes.append(bar)
            y += bar.height + GAP
            levels: dict[int, list[ObjectiveNode]] = defaultdict(list)
            for node in nodes.values():
                if node.objective.priority_id == priority.pk:
                    levels[_depth(node, nodes)].append(node)
            # By objective id, looked up by parent id (None for a top objective: not found).
            placed: dict[uuid.UUID | None, MapBox] = {}
            column_of: dict[uuid.UUID | None, int] = {}
            for level in sorted(levels):
                # Each sub-objective under its parent's column when that is free, else the next.
                ordered = sorted(
                    levels[level],
                    key=lambda n: (column_of.get(n.objective.parent_id, 0), n.objective.title),
                )
                row, column = 0, 0
                for node in ordered:
                    column = max(column, column_of.get(node.objective.parent_id, 0))
                    if column >= MAP_COLUMNS:
                        row, column = row + 1, 0
                    box = MapBox(
                        20 + column * (BOX_W + GAP),
                        y + row * (BOX_H + GAP),
                        BOX_W,
                        BOX_H,
                        node.objective.title,
                        rollup((s.rag, s.kpi.is_key) for s in node.kpis).rag,
                        url=url_for(node.objective),
                        lines=textwrap.wrap(
                            node.objective.title, BOX_CHARS, max_lines=2, placeholder="…"
                        ),
                    )
                    # Up to the parent's bottom centre, or straight up to the priority bar.
                    parent = placed.get(node.objective.parent_id)
                    top = (parent or box).x + BOX_W // 2, (parent or bar).y + (parent or bar).height
                    result.lines.append((*top, box.x + BOX_W // 2, box.y))
                    placed[node.objective.pk], column_of[node.objective.pk] = box, column
                    result.boxes.append(box)
                    column += 1
                if ordered:
                    y += (row + 1) * (BOX_H + GAP)
            y += GAP
        y += 10
        result.bands.append((Perspective(value).label, band_top, y - band_top))
    result.height = y
    return result
