"""Reads for check-ins: which week it is for an organisation, and who still owes one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import asdict, dataclass, field

from django.contrib.auth.models import User
from django.db.models import Exists, OuterRef, Q, QuerySet
from django.urls import reverse

from metrics.models import Kpi, MetricValue
from metrics.selectors import KpiStatus, kpi_statuses
from objectives.models import Objective
from objectives.selectors import running_q
from perfmgmt.charts import polyline
from perfmgmt.history import history_of
from perfmgmt.models import Membership, Organization, Team
from perfmgmt.periods import cadence_period_start, current_week, last_closed_month, org_today
from perfmgmt.permissions import can_check_in, led_team_q
from perfmgmt.selectors import display_name, get_or_404
from perfmgmt.tenancy import membership_for, org_scope
from reviews.attention import (
    DETERIORATING_RUN,
    Kind,
    Score,
    kpi_attention,
    kpi_scores,
    low_confidence,
    objective_scores,
    recent_for_attention,
)
from reviews.learning import definition_review_due, miss_split, missed_periods
from reviews.models import (
    ActionItem,
    ActionStatus,
    CheckIn,
    KpiCommentary,
    MeetingKind,
    ReviewMeeting,
    Risk,
)
from reviews.packs.data import commentary_due_date, commentary_due_kpis


def objectives_missing_checkin(*, org: Organization, week_start: dt.date) -> QuerySet[Objective]:
    """Objectives running during the week that have no check-in for it yet."""
    week_end = week_start + dt.timedelta(days=6)
    with org_scope(org):
        checked_in = CheckIn.objects.filter(objective=OuterRef("pk"), week_start=week_start)
        return (
            Objective.objects.filter(running_q(week_start, week_end))
            .exclude(Exists(checked_in))
            .select_related("team", "owner", "team__lead")
        )


def _kpi_url(org: Organization, kpi_id: object) -> str:
    return reverse("metrics:kpi-detail", kwargs={"org_slug": org.slug, "kpi_id": kpi_id})


def _objective_url(org: Organization, objective_id: object) -> str:
    return reverse(
        "reviews:objective-checkins", kwargs={"org_slug": org.slug, "objective_id": objective_id}
    )


@dataclass
class Agenda:
    """Stored on the meeting as JSON (as_json): meetings keep the agenda they were created with,
    so a key added here is missing from older meetings' agendas and their pages must cope."""

    red_kpis: list[dict] = field(default_factory=list)
    off_twice_kpis: list[dict] = field(default_factory=list)
    deteriorating_kpis: list[dict] = field(default_factory=list)
    low_confidence: list[dict] = field(default_factory=list)
    stale_kpis: list[dict] = field(default_factory=list)
    missing_checkins: list[dict] = field(default_factory=list)
    overdue_actions: list[dict] = field(default_factory=list)
    # Highest attention score first (reviews.attention), with the signals that fired; the
    # lists above follow the same order. Missing from agendas stored before it.
    attention: list[dict] = field(default_factory=list)
    # The learning loop (reviews.learning): missed period targets with their cause or none
    # yet, the causes counted, and KPIs whose definition is due for review.
    misses: list[dict] = field(default_factory=list)
    miss_split: dict[str, int] = field(default_factory=dict)
    definition_review: list[dict] = field(default_factory=list)

    def as_json(self) -> dict:
        return asdict(self)


# The agenda's list for each kind of attention (the keys stored meetings have).
AGENDA_LISTS = {
    Kind.RED: "red_kpis",
    Kind.OFF_TWICE: "off_twice_kpis",
    Kind.DETERIORATING: "deteriorating_kpis",
    Kind.STALE: "stale_kpis",
}


def agenda_build(*, org: Organization, team: Team | None = None) -> Agenda:
    """What a review should talk about, from the data: the KPIs and objectives that need
    attention (reviews.attention; a red KPI with no open action is flagged), missing check-ins
    and overdue actions. A team review looks at that team's objectives and KPIs only."""
    today = org_today(org)
    with org_scope(org):
        kpi_qs = Kpi.objects.select_related("outcome_owner", "objective")
        actions = ActionItem.objects.select_related("owner", "kpi", "objective")
        if team is not None:
            kpi_qs = kpi_qs.filter(objective__team=team)
            actions = actions.filter(Q(objective__team=team) | Q(kpi__objective__team=team))
        kpis = list(kpi_qs)
        open_actions = list(actions.filter(status=ActionStatus.OPEN))
    recent = recent_for_attention(org=org, kpi_ids=[k.pk for k in kpis])
    statuses = list(kpi_statuses(org=org, kpis=kpis, recent=recent).values())
    scores = kpi_scores(org=org, statuses=statuses, today=today)
    statuses.sort(key=lambda s: -scores[s.kpi.pk].total)  # stable: ties keep the KPIs' order
    acted_on = {a.kpi_id for a in open_actions if a.kpi_id}
    agenda = Agenda()
    agenda.attention = _ranked(org, statuses, scores, team, today)
    for found in kpi_attention(org=org, statuses=statuses, recent=recent):
        status, kpi = found.status, found.status.kpi
        item: dict[str, object] = {
            "kpi": str(kpi.pk),
            "title": kpi.name,
            "owner": display_name(kpi.outcome_owner),
            "url": _kpi_url(org, kpi.pk),
            "value": status.latest.value if status.latest else None,
            "target": status.target.value if status.target else None,
            "unit": kpi.unit,
        }
        extra: dict[Kind, dict[str, object]] = {
            Kind.RED: {"no_open_action": kpi.pk not in acted_on},
            Kind.DETERIORATING: {"recent": found.recent[:DETERIORATING_RUN]},
        }
        for kind in found.kinds:
            getattr(agenda, AGENDA_LISTS[kind]).append({**item, **extra.get(kind, {})})
    _learning(org, kpis, agenda, today)
    for objective, checkin in low_confidence(org=org, team=team, today=today):
        agenda.low_confidence.append(
            {
                "objective": str(objective.pk),
                "title": objective.title,
                "owner": display_name(objective.owner),
                "url": _objective_url(org, objective.pk),
                "confidence": checkin.confidence,
                "reason": checkin.reason,
                "week_start": checkin.week_start.isoformat(),
            }
        )
    missing = objectives_missing_checkin(org=org, week_start=current_week(org))
    if team is not None:
        missing = missing.filter(team=team)
    for objective in missing:
        agenda.missing_checkins.append(
            {
                "objective": str(objective.pk),
                "title": objective.title,
                "owner": display_name(objective.owner),
                "team": objective.team.name,
                "url": _objective_url(org, objective.pk),
            }
        )
    for action in open_actions:
        if action.due_date < today:
            agenda.overdue_actions.append(
                {
                    "action": str(action.pk),
                    "title": action.title,
                    "owner": display_name(action.owner),
                    "due_date": action.due_date.isoformat(),
                }
            )
    return agenda


def _misses_url(org: Organization, kpi_id: object) -> str:
    return reverse("reviews:kpi-misses", kwargs={"org_slug": org.slug, "kpi_id": kpi_id})


def _learning(org: Organization, kpis: list[Kpi], agenda: Agenda, today: dt.date) -> None:
    misses = missed_periods(org=org, kpis=kpis, today=today)
    agenda.miss_split = miss_split(misses)
    agenda.misses = [
        {
            "kpi": str(m.kpi.pk),
            "title": m.kpi.name,
            "owner": display_name(m.kpi.outcome_owner),
            "url": _misses_url(org, m.kpi.pk),
            "period_start": m.target.period_start.isoformat(),
            "period_end": m.target.period_end.isoformat(),
            "target": m.target.value,
            "actual": m.actual,
            "unit": m.kpi.unit,
            "cause": m.reason.get_cause_display() if m.reason else None,
            "next_step": m.reason.next_step if m.reason else None,
        }
        for m in misses
    ]
    by_id = {k.pk: k for k in kpis}
    agenda.definition_review = [
        {"kpi": str(pk), "title": by_id[pk].name, "url": _misses_url(org, pk), "measurement": n}
        for pk, n in definition_review_due(org=org, kpi_ids=list(by_id)).items()
    ]


AGENDA_RANKED = 10  # the agenda's ranked list: the items a review has time for


def _ranked(
    org: Organization,
    statuses: list[KpiStatus],
    scores: dict[uuid.UUID, Score],
    team: Team | None,
    today: dt.date,
) -> list[dict]:
    ranked: list[dict] = [
        {
            "kpi": str(s.kpi.pk),
            "title": s.kpi.name,
            "owner": display_name(s.kpi.outcome_owner),
            "url": _kpi_url(org, s.kpi.pk),
            "score": scores[s.kpi.pk].total,
            "signals": [
                {"kind": str(g.kind), "label": g.label, "points": g.points, "detail": g.detail}
                for g in scores[s.kpi.pk].signals
            ],
        }
        for s in statuses
        if scores[s.kpi.pk].total > 0
    ]
    for found in objective_scores(
        org=org, statuses=statuses, scores=scores, team=team, today=today
    ):
        if found.score.signals:
            ranked.append(
                {
                    "objective": str(found.objective.pk),
                    "title": found.objective.title,
                    "owner": display_name(found.objective.owner),
                    "url": _objective_url(org, found.objective.pk),
                    "score": found.total,
                    "signals": [
                        {
                            "kind": str(g.kind),
                            "label": g.label,
                            "points": g.points,
                            "detail": g.detail,
                        }
                        for g in found.score.signals
                    ],
                }
            )
    ranked.sort(key=lambda item: -item["score"])
    return ranked[:AGENDA_RANKED]


@dataclass
class Owed:
    checkins: list[Objective]
    kpis: list
    actions: list[ActionItem]
    commentary: list[Kpi] = field(default_factory=list)  # for commentary_month, not written
    commentary_month: dt.date | None = None
    commentary_due: dt.date | None = None


def what_i_owe(*, org: Organization, user: User) -> Owed:
    """A person's due check-ins (objectives they own, or whose team they lead: the people
    `can_check_in` lets report), due KPI values (KPIs whose data they own that have gone stale),
    open actions, and the commentary they owe on last month's numbers."""
    week = current_week(org)
    actor = membership_for(org=org, user=user)
    led = led_team_q(actor) if actor is not None else Q(pk__in=[])
    mine = objectives_missing_checkin(org=org, week_start=week).filter(Q(owner=user) | led)
    with org_scope(org):
        kpis = list(Kpi.objects.filter(data_owner=user).select_related("objective"))
        actions = list(
            ActionItem.objects.filter(owner=user, status=ActionStatus.OPEN).select_related(
                "kpi", "objective", "meeting"
            )
        )
    statuses = kpi_statuses(org=org, kpis=kpis)
    month = last_closed_month(org)
    return Owed(
        checkins=list(mine),
        kpis=[statuses[k.pk] for k in kpis if statuses[k.pk].stale],
        actions=actions,
        commentary=[
            found.kpi
            for found, written in commentary_due_kpis(org=org, month=month, user=user)
            if written is None
        ],
        commentary_month=month,
        commentary_due=commentary_due_date(month),
    )


def missing_by_team(*, org: Organization) -> dict[Team, list[Objective]]:
    grouped: dict = defaultdict(list)
    for objective in objectives_missing_checkin(org=org, week_start=current_week(org)):
        grouped[objective.team].append(objective)
    return dict(sorted(grouped.items(), key=lambda item: item[0].name))


@dataclass
class History:
    checkins: list[CheckIn]
    trend_points: str  # an SVG polyline of confidence, oldest to newest


def checkin_history(*, org: Organization, objective: Objective, weeks: int = 26) -> History:
    with org_scope(org):
        checkins = list(
            CheckIn.objects.filter(objective=objective)
            .select_related("author")
            .order_by("-week_start")[:weeks]
        )
    # Confidence on its fixed 0–10 scale, so weeks compare across objectives; one week draws.
    points = polyline(
        [c.confidence for c in reversed(checkins)],
        width=200,
        height=40,
        low=0,
        high=10,
        min_points=1,
        decimals=0,
    )
    return History(checkins=checkins, trend_points=points)


def meeting_list(*, org: Organization) -> list[ReviewMeeting]:
    with org_scope(org):
        return list(ReviewMeeting.objects.select_related("team", "created_by")[:100])


def monthly_meetings(*, org: Organization) -> QuerySet[ReviewMeeting]:
    """The organisation's monthly business reviews, newest first (a pack is presented at one)."""
    with org_scope(org):
        return ReviewMeeting.objects.filter(kind=MeetingKind.MONTHLY).order_by("-held_on")


def meeting_get(*, org: Organization, meeting_id: uuid.UUID | str) -> ReviewMeeting:
    with org_scope(org):
        return get_or_404(ReviewMeeting.objects.select_related("team"), meeting_id, "review")


def meeting_detail(*, org: Organization, meeting: ReviewMeeting) -> dict:
    with org_scope(org):
        return {
            "decisions": list(meeting.decisions.select_related("recorded_by")),
            "actions": list(meeting.actions.select_related("owner", "kpi", "objective")),
        }


def action_get(*, org: Organization, action_id: uuid.UUID | str) -> ActionItem:
    with org_scope(org):
        return get_or_404(ActionItem.objects.select_related("owner"), action_id, "action")


def risk_get(*, org: Organization, risk_id: uuid.UUID | str) -> Risk:
    with org_scope(org):
        return get_or_404(Risk.objects.select_related("objective__team"), risk_id, "risk")


def objective_risks(*, org: Organization, objective: Objective) -> list[Risk]:
    with org_scope(org):
        return list(Risk.objects.filter(objective=objective))


@dataclass
class CheckInSlot:
    objective: Objective
    checkin: CheckIn | None
    kpis: list[Kpi]
    locked: bool = False
    # The value each KPI has for the period the week falls in (who recorded it, how sure), and
    # the check-in of the week before: the form shows both and starts from last week's answer.
    values: dict[uuid.UUID, MetricValue] = field(default_factory=dict)
    previous: CheckIn | None = None


def checkin_slots(
    *,
    org: Organization,
    actor: Membership,
    week_start: dt.date,
    objective_id: uuid.UUID | str | None = None,
) -> list[CheckInSlot]:
    """The objectives this person checks in on this week, with this week's check-in (if any)
    and the KPIs they own on each that take a value in the same form."""
    week_end = week_start + dt.timedelta(days=6)
    with org_scope(org):
        running = Objective.objects.select_related("team", "owner").filter(
            running_q(week_start, week_end)
        )
        if objective_id is not None:
            running = running.filter(pk=objective_id)
        objectives = [o for o in running if can_check_in(actor, o)]
        ids = [o.pk for o in objectives]
        existing = {
            c.objective_id: c
            for c in CheckIn.objects.filter(objective_id__in=ids, week_start=week_start)
        }
        previous = {
            c.objective_id: c
            for c in CheckIn.objects.filter(
                objective_id__in=ids, week_start=week_start - dt.timedelta(days=7)
            )
        }
        owned: dict = defaultdict(list)
        for kpi in Kpi.objects.filter(objective_id__in=ids).filter(
            Q(data_owner=actor.user) | Q(outcome_owner=actor.user)
        ):
            owned[kpi.objective_id].append(kpi)
        period_of = {
            k.pk: cadence_period_start(k.cadence, week_start)
            for group in owned.values()
            for k in group
        }
        current = {
            v.kpi_id: v
            for v in MetricValue.objects.filter(
                kpi_id__in=list(period_of), period_date__in=set(period_of.values())
            ).select_related("recorded_by")
            if v.period_date == period_of[v.kpi_id]
        }
    return [
        CheckInSlot(
            o,
            existing.get(o.pk),
            owned[o.pk],
            values={k.pk: current[k.pk] for k in owned[o.pk] if k.pk in current},
            previous=previous.get(o.pk),
        )
        for o in objectives
    ]


def kpi_commentaries(*, org: Organization, kpi: Kpi, months: int = 24) -> list[KpiCommentary]:
    """A KPI's monthly commentary, newest month first, each with its earlier wordings."""
    with org_scope(org):
        commentaries = list(KpiCommentary.objects.filter(kpi=kpi).select_related("author")[:months])
    wordings = defaultdict(list)
    for change in history_of(org=org, model=KpiCommentary, filters={"kpi_id": kpi.pk}):
        if change.action != "delete":
            wordings[change.object_id].append(change)
    for commentary in commentaries:
        # The trail's newest event is the wording shown; the older ones came before it.
        commentary.earlier = wordings[str(commentary.pk)][1:]  # type: ignore[attr-defined]
    return commentaries
