"""The dashboard pages and the exceptions list: metrics read together with check-ins, in a fixed
number of queries. The metric-only builders they compose are in metrics.dashboards."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractUser

from metrics.dashboards import (
    KEY_METRICS_LIMIT,
    Card,
    PerspectiveScore,
    cards_for,
    key_kpis,
    org_statuses,
    scorecard,
)
from metrics.formats import fmt_run, fmt_value
from metrics.selectors import KpiStatus
from objectives.models import Objective, Perspective
from objectives.selectors import running_q
from perfmgmt.models import Membership, Organization, Role
from perfmgmt.periods import current_week, org_today
from perfmgmt.permissions import led_team_q
from perfmgmt.tenancy import org_scope
from reviews.attention import (
    DETERIORATING_RUN,
    Kind,
    Score,
    kpi_scores,
    objective_scores,
)
from reviews.models import CheckIn

# The dashboard views (not roles: any member may open any view); default_view picks by role.
DASHBOARD_VIEWS = ("executive", "lead", "finance", "member")


# Keyed by role value: Membership.role is the stored string, and a Role equals its value.
_DEFAULT_VIEWS: dict[str, str] = {
    Role.LEAD: "lead",
    Role.FINANCE: "finance",
    Role.MEMBER: "member",
}


def default_view(membership: Membership) -> str:
    return _DEFAULT_VIEWS.get(membership.role, "executive")


@dataclass
class Dashboard:
    view: str
    cards: list[Card]
    too_many: bool
    scorecard: list[PerspectiveScore] = field(default_factory=list)
    objectives: list[tuple[Objective, CheckIn | None]] = field(default_factory=list)
    exceptions: int = 0
    attention: list[ExceptionItem] = field(default_factory=list)  # the top few, one row each


DASHBOARD_ATTENTION = 5  # how many of the highest-scoring items the executive view lists


def dashboard_get(*, org: Organization, membership: Membership, view: str) -> Dashboard:
    """One dashboard view: its key metrics, and by view the scorecard, the objectives with
    this week's check-in, the number of exceptions."""
    kpis = key_kpis(org=org, membership=membership, view=view)
    board = Dashboard(
        view=view,
        cards=cards_for(org=org, user=membership.user, kpis=kpis, today=org_today(org)),
        too_many=len(kpis) > KEY_METRICS_LIMIT,
    )
    if view in ("lead", "member"):
        board.objectives = _my_objectives(org, membership, view)
    if view == "finance":
        board.scorecard = scorecard(
            org=org,
            statuses=org_statuses(org=org, perspective=Perspective.FINANCIAL),
            only_financial=True,
        )
    if view == "executive":
        # The scorecard and the exceptions count read the same statuses: compute them once.
        statuses = org_statuses(org=org, per_kpi=DETERIORATING_RUN)
        board.scorecard = scorecard(org=org, statuses=statuses, only_financial=False)
        items = _exceptions(org, statuses)
        board.exceptions = distinct_items(items)
        board.attention = top_items(items, DASHBOARD_ATTENTION)
    return board


def _my_objectives(
    org: Organization, membership: Membership, view: str
) -> list[tuple[Objective, CheckIn | None]]:
    user = membership.user
    week = current_week(org)
    with org_scope(org):
        running = Objective.objects.select_related("team", "owner").filter(
            running_q(week, week + dt.timedelta(days=6))
        )
        if view == "lead":
            running = running.filter(led_team_q(membership))
        else:
            running = running.filter(owner=user)
        objectives = list(running)
        this_week = {
            c.objective_id: c
            for c in CheckIn.objects.filter(objective__in=objectives, week_start=week)
        }
    return [(o, this_week.get(o.pk)) for o in objectives]


@dataclass
class ExceptionItem:
    kind: Kind
    title: str
    owner: AbstractUser  # who answers for it: the KPI's outcome owner, the objective's owner
    detail: str
    url_kpi: uuid.UUID | None = None
    url_objective: uuid.UUID | None = None
    score: float = 0.0  # of its KPI or objective (reviews.attention): the list's order
    why: str = ""  # every signal that fired for it, with its weight

    @property
    def label(self) -> str:
        return Kind(self.kind).label


@dataclass
class Exceptions:
    items: list[ExceptionItem]

    @property
    def counts(self) -> list[tuple[str, int]]:
        """(label, how many) of each kind present."""
        found = Counter(item.kind for item in self.items)
        return [(kind.label, found[kind]) for kind in Kind if found[kind]]

    @property
    def item_count(self) -> int:
        """How many KPIs and objectives need attention: one that is red and stale is one."""
        return distinct_items(self.items)


def distinct_items(items: list[ExceptionItem]) -> int:
    return len({(item.url_kpi, item.url_objective) for item in items})


def top_items(items: list[ExceptionItem], count: int) -> list[ExceptionItem]:
    """The first row of each of the `count` highest-scoring KPIs and objectives (`items` are
    ranked already)."""
    seen: set[tuple[object, object]] = set()
    top: list[ExceptionItem] = []
    for item in items:
        key = (item.url_kpi, item.url_objective)
        if key not in seen and len(top) < count:
            seen.add(key)
            top.append(item)
    return top


def exceptions_get(*, org: Organization) -> Exceptions:
    """Everything that needs attention (reviews.attention), one row per KPI or objective and
    kind."""
    return Exceptions(_exceptions(org, org_statuses(org=org, per_kpi=DETERIORATING_RUN)))


def _against_target(status: KpiStatus) -> str:
    latest, target = status.latest, status.target
    # Only a red or off-target KPI is described so, and rag_status rates a KPI so only when it
    # has a value and a target.
    assert latest is not None and target is not None
    unit = status.kpi.unit
    return f"{fmt_value(latest.value, unit)} against {fmt_value(target.value, unit)}"


def _last_value(status: KpiStatus) -> str:
    if status.latest is None:
        return "no value yet"
    day = status.latest.period_date
    return f"last value for {day.day} {day:%b %Y}"


def _worse_each_time(values: list[float], unit: str) -> str:
    return f"worse three periods running: {fmt_run(values[:DETERIORATING_RUN][::-1], unit)}"


def _kpi_detail(kind: Kind, status: KpiStatus, recent: list[float]) -> str:
    if kind == Kind.STALE:
        return _last_value(status)
    if kind == Kind.DETERIORATING:
        return _worse_each_time(recent, status.kpi.unit)
    return _against_target(status)


def _exceptions(org: Organization, statuses: list[KpiStatus]) -> list[ExceptionItem]:
    """One row per KPI or objective and signal that fired, highest attention score first (rows
    of one item together, in the order of Kind)."""
    scores = kpi_scores(org=org, statuses=statuses)
    items = []
    for status in statuses:
        score = scores[status.kpi.pk]
        # A check-in's low confidence is the objective's row; on the KPI it only adds weight.
        for signal in score.signals:
            if signal.kind == Kind.LOW_CONFIDENCE:
                continue
            items.append(
                ExceptionItem(
                    signal.kind,
                    status.kpi.name,
                    status.kpi.outcome_owner,
                    signal.detail
                    or _kpi_detail(signal.kind, status, [r.value for r in status.history]),
                    url_kpi=status.kpi.pk,
                    score=score.total,
                    why=score.why,
                )
            )
    for found in objective_scores(org=org, statuses=statuses, scores=scores):
        for signal in found.score.signals:
            checkin = found.checkin
            assert checkin is not None  # both objective signals read its latest check-in
            detail = signal.detail or f"{checkin.confidence}/10: {checkin.reason}"
            items.append(
                ExceptionItem(
                    signal.kind,
                    found.objective.title,
                    found.objective.owner,
                    detail,
                    url_objective=found.objective.pk,
                    score=found.total,
                    why=_objective_why(found.score, found.top_kpi),
                )
            )
    order = list(Kind)
    items.sort(key=lambda item: (-item.score, item.title, order.index(item.kind)))
    return items


def _objective_why(score: Score, top_kpi: float) -> str:
    kpis = f"its KPIs' highest score ({top_kpi:g})" if top_kpi else ""
    return ", ".join(part for part in (score.why, kpis) if part)
