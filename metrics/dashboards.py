"""Reads for the role dashboards and the exceptions list, in a fixed number of queries."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import AbstractUser
from django.db.models import Q

from metrics.forecast import attainment, linear_forecast
from metrics.models import Kpi, KpiPin, Rag
from metrics.selectors import KpiStatus, Reading, kpi_statuses, recent_values
from objectives.models import Objective, Perspective, StrategicPriority
from perfmgmt.models import Membership, Organization, Role
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from reviews.models import CheckIn
from reviews.selectors import current_week, latest_checkins, org_today

KEY_METRICS_LIMIT = 7
SPARK_POINTS = 12
DASHBOARD_ROLES = ("executive", "lead", "finance", "member")


def default_view(membership: Membership) -> str:
    return {
        Role.LEAD: "lead",
        Role.FINANCE: "finance",
        Role.MEMBER: "member",
    }.get(membership.role, "executive")


@dataclass
class Card:
    status: KpiStatus
    spark: str  # SVG polyline points, oldest to newest
    pinned: bool
    weeks_without_value: int | None
    forecast: float | None = None  # the trend read off at the end of the target's period


def _spark(values: list[Reading]) -> str:
    series = [v.value for v in reversed(values)]
    if len(series) < 2:
        return ""
    low, high = min(series), max(series)
    span = (high - low) or 1.0
    step = 100 / (len(series) - 1)
    return " ".join(
        f"{i * step:.1f},{28 - (v - low) / span * 26:.1f}" for i, v in enumerate(series)
    )


def cards_for(*, org: Organization, user: object, kpis: list[Kpi]) -> list[Card]:
    today = org_today(org)
    with org_scope(org):
        pinned = set(KpiPin.objects.filter(user=user).values_list("kpi_id", flat=True))
    recent = recent_values(org=org, kpi_ids=[k.pk for k in kpis], per_kpi=SPARK_POINTS)
    statuses = kpi_statuses(org=org, kpis=kpis, recent=recent)
    cards = []
    for kpi in kpis:
        status = statuses[kpi.pk]
        weeks = None
        if status.stale:
            weeks = (today - status.latest.period_date).days // 7 if status.latest else None
        forecast = None
        if status.target is not None:
            points = [(v.period_date, v.value) for v in recent[kpi.pk]]
            forecast = linear_forecast(points, status.target.period_end)
        cards.append(Card(status, _spark(recent[kpi.pk]), kpi.pk in pinned, weeks, forecast))
    return cards


def attainment_chart(cards: list[Card]) -> dict:
    """Each key metric's latest value as a percentage of its target, for the dashboard chart."""
    bars = []
    for card in cards:
        status = card.status
        value = status.latest.value if status.latest else None
        target = status.target.value if status.target else None
        percent = attainment(value, target, status.kpi.direction)
        if percent is not None:
            bars.append({"name": status.kpi.name, "percent": round(percent, 1), "rag": status.rag})
    return {"bars": bars}


@dataclass
class PerspectiveScore:
    perspective: Perspective
    priorities: list[StrategicPriority]
    counts: dict[str, int] = field(default_factory=dict)


@dataclass
class Dashboard:
    view: str
    cards: list[Card]
    too_many: bool
    scorecard: list[PerspectiveScore] = field(default_factory=list)
    objectives: list[tuple[Objective, CheckIn | None]] = field(default_factory=list)
    exceptions: int = 0


def _key_kpis(org: Organization, membership: Membership, view: str) -> list[Kpi]:
    user = membership.user
    with org_scope(org):
        # Conditions on objectives and pins are subqueries, each scoped to the organisation,
        # rather than joins: a join let the planner hash every organisation's objectives.
        kpis = Kpi.objects.all()
        pinned = Q(pk__in=KpiPin.objects.filter(user=user).values("kpi_id"))
        if view == "lead":
            objectives = Objective.objects.filter(Q(team__lead=user) | Q(team=membership.team_id))
            team = Q(objective__in=objectives)
            # The team's key KPIs; a team that marked none sees its outcomes (lag KPIs).
            marked = kpis.filter(team & Q(is_key=True)).exists()
            chosen = (team & Q(is_key=True) if marked else team & Q(kind="lag")) | pinned
        elif view == "finance":
            objectives = Objective.objects.filter(priority__perspective=Perspective.FINANCIAL)
            chosen = (Q(objective__in=objectives) & Q(is_key=True)) | pinned
        elif view == "member":
            chosen = Q(outcome_owner=user) | Q(data_owner=user) | pinned
        else:
            chosen = Q(is_key=True) | pinned
        return list(kpis.filter(chosen).order_by("name"))


def dashboard_get(*, org: Organization, membership: Membership, view: str) -> Dashboard:
    kpis = _key_kpis(org, membership, view)
    board = Dashboard(
        view=view,
        cards=cards_for(org=org, user=membership.user, kpis=kpis),
        too_many=len(kpis) > KEY_METRICS_LIMIT,
    )
    if view in ("lead", "member"):
        board.objectives = _my_objectives(org, membership, view)
    if view == "finance":
        board.scorecard = _scorecard(
            org, _org_statuses(org, perspective=Perspective.FINANCIAL), only_financial=True
        )
    if view == "executive":
        # The scorecard and the exceptions count read the same statuses: compute them once.
        statuses = _org_statuses(org)
        board.scorecard = _scorecard(org, statuses, only_financial=False)
        board.exceptions = len(_exceptions(org, statuses))
    return board


def _org_statuses(org: Organization, *, perspective: str | None = None) -> list[KpiStatus]:
    """Every KPI of the organisation (or of one perspective) with its status."""
    with org_scope(org):
        kpis = Kpi.objects.select_related("outcome_owner")
        if perspective:
            kpis = kpis.filter(
                objective__in=Objective.objects.filter(priority__perspective=perspective)
            )
        kpis = list(kpis)
    statuses = kpi_statuses(org=org, kpis=kpis)
    return [statuses[kpi.pk] for kpi in kpis]


def _scorecard(
    org: Organization, statuses: list[KpiStatus], *, only_financial: bool
) -> list[PerspectiveScore]:
    """Each perspective's priorities and how many of their KPIs are green, amber, red."""
    with org_scope(org):
        priorities = list(StrategicPriority.objects.filter(is_active=True))
        perspective_of = dict(
            Objective.objects.filter(priority__is_active=True).values_list(
                "pk", "priority__perspective"
            )
        )
    counts: dict = defaultdict(lambda: defaultdict(int))
    for status in statuses:
        perspective = perspective_of.get(status.kpi.objective_id)
        if perspective:
            counts[perspective][status.rag] += 1
    scores = []
    for value in Perspective.values:
        if only_financial and value != Perspective.FINANCIAL:
            continue
        scores.append(
            PerspectiveScore(
                Perspective(value),
                [p for p in priorities if p.perspective == value],
                dict(counts[value]),
            )
        )
    return scores


def _my_objectives(org: Organization, membership: Membership, view: str) -> list:
    user = membership.user
    week = current_week(org)
    with org_scope(org):
        objectives = Objective.objects.select_related("team", "owner").filter(
            period_start__lte=week + dt.timedelta(days=6), period_end__gte=week
        )
        if view == "lead":
            objectives = objectives.filter(Q(team__lead=user) | Q(team=membership.team_id))
        else:
            objectives = objectives.filter(owner=user)
        objectives = list(objectives)
        this_week = {
            c.objective_id: c
            for c in CheckIn.objects.filter(objective__in=objectives, week_start=week)
        }
    return [(o, this_week.get(o.pk)) for o in objectives]


# The kinds of exception, in the order the list shows them.
EXCEPTION_KINDS = {
    "red": "Red",
    "off_twice": "Off target two periods running",
    "stale": "Stale",
    "low_confidence": "Low confidence",
}


@dataclass
class Exception_:
    kind: str
    title: str
    owner: AbstractUser  # who answers for it: the KPI's outcome owner, the objective's owner
    detail: str
    url_kpi: uuid.UUID | None = None
    url_objective: uuid.UUID | None = None

    @property
    def label(self) -> str:
        return EXCEPTION_KINDS[self.kind]

    @property
    def owner_name(self) -> str:
        return display_name(self.owner)


@dataclass
class Exceptions:
    items: list[Exception_]

    @property
    def counts(self) -> list[tuple[str, int]]:
        """(label, how many) of each kind present."""
        found = Counter(item.kind for item in self.items)
        return [(label, found[kind]) for kind, label in EXCEPTION_KINDS.items() if found[kind]]


def exceptions_get(*, org: Organization) -> Exceptions:
    """Red KPIs, KPIs off target two periods running, stale KPIs, low-confidence objectives."""
    return Exceptions(_exceptions(org, _org_statuses(org)))


def _number(value: float) -> str:
    return f"{value:,.2f}".rstrip("0").rstrip(".")


def _against_target(status: KpiStatus) -> str:
    unit = f" {status.kpi.unit}" if status.kpi.unit else ""
    return f"{_number(status.latest.value)}{unit} against {_number(status.target.value)}{unit}"


def _last_value(status: KpiStatus) -> str:
    if status.latest is None:
        return "no value yet"
    day = status.latest.period_date
    return f"last value for {day.day} {day:%b %Y}"


def _exceptions(org: Organization, statuses: list[KpiStatus]) -> list[Exception_]:
    today = org_today(org)
    items: list[Exception_] = []
    for status in statuses:
        kpi, owner = status.kpi, status.kpi.outcome_owner
        if status.rag == Rag.RED:
            items.append(Exception_("red", kpi.name, owner, _against_target(status), kpi.pk))
        if status.off_target_twice:
            items.append(Exception_("off_twice", kpi.name, owner, _against_target(status), kpi.pk))
        if status.stale:
            items.append(Exception_("stale", kpi.name, owner, _last_value(status), kpi.pk))
    with org_scope(org):
        running = list(
            Objective.objects.select_related("owner").filter(
                period_start__lte=today, period_end__gte=today
            )
        )
    latest = latest_checkins(org=org, objective_ids=[o.pk for o in running])
    for objective in running:
        checkin = latest.get(objective.pk)
        if checkin is not None and checkin.confidence <= 4:
            detail = f"{checkin.confidence}/10: {checkin.reason}"
            items.append(
                Exception_(
                    "low_confidence",
                    objective.title,
                    objective.owner,
                    detail,
                    url_objective=objective.pk,
                )
            )
    order = list(EXCEPTION_KINDS)
    items.sort(key=lambda item: order.index(item.kind))  # stable: names stay in order
    return items
