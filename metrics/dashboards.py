"""The metric-only parts of the role dashboards: which KPIs a view shows, their cards and chart,
the scorecard. The pages that add check-ins to them are composed in reviews.dashboards."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field

from django.contrib.auth.models import User
from django.db.models import Q

from metrics.forecast import attainment, linear_forecast
from metrics.models import Kpi, KpiKind, KpiPin
from metrics.rag import Rollup, favourable, rollup
from metrics.selectors import KpiStatus, Reading, kpi_statuses, recent_values
from objectives.models import Objective, Perspective, StrategicPriority
from perfmgmt.charts import polyline
from perfmgmt.models import Membership, Organization
from perfmgmt.permissions import led_team_q
from perfmgmt.tenancy import org_scope

KEY_METRICS_LIMIT = 7
SPARK_POINTS = 12


@dataclass
class Card:
    status: KpiStatus
    spark: str  # SVG polyline points, oldest to newest
    pinned: bool
    weeks_without_value: int | None
    forecast: float | None = None  # the trend read off at the end of today's target period
    forecast_date: dt.date | None = None
    forecast_target: float | None = None

    @property
    def forecast_favourable(self) -> bool | None:
        return favourable(self.forecast, self.forecast_target, self.status.kpi.direction)


def _spark(values: list[Reading]) -> str:
    """The card's 100×28 sparkline of `values` (newest first), 2px clear of the top edge."""
    return polyline([v.value for v in reversed(values)], width=100, height=28, top=2)


def cards_for(*, org: Organization, user: User, kpis: list[Kpi], today: dt.date) -> list[Card]:
    """A card per KPI; `today` (the organisation's) dates how long a stale one went unfed."""
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
        card = Card(status, _spark(recent[kpi.pk]), kpi.pk in pinned, weeks)
        # Forecast only to a date still ahead: the end of the target period running today.
        target = status.target
        if target is not None and target.period_start <= today <= target.period_end:
            points = [(v.period_date, v.value) for v in recent[kpi.pk]]
            card.forecast = linear_forecast(points, target.period_end)
            card.forecast_date, card.forecast_target = target.period_end, target.value
        cards.append(card)
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
    status: Rollup = field(default_factory=lambda: rollup([]))  # the roll-up rule


def key_kpis(*, org: Organization, membership: Membership, view: str) -> list[Kpi]:
    """The KPIs a dashboard view shows: key ones for the view, plus the user's pins."""
    user = membership.user
    with org_scope(org):
        # Conditions on objectives and pins are subqueries, each scoped to the organisation,
        # rather than joins: a join let the planner hash every organisation's objectives.
        kpis = Kpi.objects.all()
        pinned = Q(pk__in=KpiPin.objects.filter(user=user).values("kpi_id"))
        if view == "lead":
            objectives = Objective.objects.filter(led_team_q(membership))
            team = Q(objective__in=objectives)
            # The team's key KPIs; a team that marked none sees its outcomes (lag KPIs).
            marked = kpis.filter(team & Q(is_key=True)).exists()
            chosen = (team & Q(is_key=True) if marked else team & Q(kind=KpiKind.LAG)) | pinned
        elif view == "finance":
            objectives = Objective.objects.filter(priority__perspective=Perspective.FINANCIAL)
            chosen = (Q(objective__in=objectives) & Q(is_key=True)) | pinned
        elif view == "member":
            chosen = Q(outcome_owner=user) | Q(data_owner=user) | pinned
        else:
            chosen = Q(is_key=True) | pinned
        return list(kpis.filter(chosen).order_by("name"))


def org_statuses(
    *, org: Organization, perspective: str | None = None, per_kpi: int = 2
) -> list[KpiStatus]:
    """Every KPI of the organisation (or of one perspective) with its status and its last
    `per_kpi` values as `history`."""
    with org_scope(org):
        chosen = Kpi.objects.select_related("outcome_owner")
        if perspective:
            chosen = chosen.filter(
                objective__in=Objective.objects.filter(priority__perspective=perspective)
            )
        kpis = list(chosen)
    statuses = kpi_statuses(org=org, kpis=kpis, per_kpi=per_kpi)
    return [statuses[kpi.pk] for kpi in kpis]


def scorecard(
    *, org: Organization, statuses: list[KpiStatus], only_financial: bool
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
    pairs: dict[str, list[tuple[str, bool]]] = defaultdict(list)
    for status in statuses:
        objective_id = status.kpi.objective_id
        perspective = perspective_of.get(objective_id) if objective_id is not None else None
        if perspective:
            counts[perspective][status.rag] += 1
            pairs[perspective].append((status.rag, status.kpi.is_key))
    scores = []
    for value in Perspective.values:
        if only_financial and value != Perspective.FINANCIAL:
            continue
        scores.append(
            PerspectiveScore(
                Perspective(value),
                [p for p in priorities if p.perspective == value],
                dict(counts[value]),
                rollup(pairs[value]),
            )
        )
    return scores
