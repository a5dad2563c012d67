"""Reads of the people layer, each filtered by the wall in `rules.py`. A record the actor may
not see is a 404, the same answer as a missing one."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django.db.models import Q, QuerySet
from django.http import Http404

from metrics.models import Kpi, MetricValue, Rag
from metrics.selectors import KpiStatus, kpi_statuses
from objectives.models import Objective
from perfmgmt.models import Membership, Organization, Team
from perfmgmt.periods import current_week, org_today
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from reviews.attention import kpi_attention, latest_checkins, low_confidence
from reviews.models import CheckInStatus
from reviews.people import rules
from reviews.people.models import (
    CompanyValue,
    DevelopmentGoal,
    ImprovementPlan,
    OneOnOne,
    PeoplePartner,
    PeopleSettings,
    PlanMilestone,
    PlanState,
    PrivateNote,
    Recognition,
    TalkingPoint,
)
from reviews.selectors import objectives_missing_checkin


def _uuid(value: object) -> uuid.UUID:
    try:
        return uuid.UUID(str(value))
    except ValueError as exc:
        raise Http404 from exc


# --- 1:1s


def one_on_one_list(*, org: Organization, actor: Membership) -> QuerySet[OneOnOne]:
    with org_scope(org):
        return OneOnOne.objects.filter(rules.one_on_ones_q(actor)).select_related("lead", "report")


def one_on_one_get(*, org: Organization, actor: Membership, one_on_one_id: object) -> OneOnOne:
    with org_scope(org):
        meeting = (
            OneOnOne.objects.select_related("lead", "report")
            .filter(pk=_uuid(one_on_one_id))
            .first()
        )
    if meeting is None or not rules.can_see_one_on_one(actor, meeting):
        raise Http404("No such 1:1.")
    return meeting


@dataclass
class OneOnOneDetail:
    meeting: OneOnOne
    points: list[TalkingPoint]
    note: PrivateNote | None  # the actor's own, never the other side's
    actions: list
    other: object  # the other person in the 1:1


def one_on_one_detail(*, org: Organization, actor: Membership, meeting: OneOnOne) -> OneOnOneDetail:
    with org_scope(org):
        points = list(meeting.points.select_related("added_by"))
        note = PrivateNote.objects.filter(one_on_one=meeting, author_id=actor.user_id).first()
        actions = list(meeting.actions.select_related("owner"))
    other = meeting.report if actor.user_id == meeting.lead_id else meeting.lead
    return OneOnOneDetail(meeting, points, note, actions, other)


@dataclass(frozen=True)
class Suggestion:
    kind: str
    text: str


def _owned_statuses(org: Organization, person_id: int) -> list[KpiStatus]:
    with org_scope(org):
        kpis = list(Kpi.objects.filter(outcome_owner_id=person_id).select_related("objective"))
    statuses = kpi_statuses(org=org, kpis=kpis, per_kpi=3)
    return [statuses[k.pk] for k in kpis]


def suggested_points(
    *, org: Organization, actor: Membership, meeting: OneOnOne
) -> list[Suggestion]:
    """Talking points from the data, for the lead preparing the 1:1: the person's KPIs that
    need attention (reviews.attention's rules), check-ins missed last week, a low confidence
    they reported, praise they received that the lead may see, and plan milestones due. Points
    already on the agenda are left out."""
    if actor.user_id != meeting.lead_id:
        return []
    person_id = meeting.report_id
    found: list[Suggestion] = []
    statuses = _owned_statuses(org, person_id)
    for attention in kpi_attention(org=org, statuses=statuses):
        why = ", ".join(kind.label.lower() for kind in attention.kinds)
        found.append(Suggestion("kpi", f"KPI {attention.status.kpi.name}: {why}"))
    last_week = current_week(org) - dt.timedelta(days=7)
    for objective in objectives_missing_checkin(org=org, week_start=last_week).filter(
        owner_id=person_id
    ):
        found.append(Suggestion("missed_checkin", f"No check-in last week for {objective.title}"))
    for objective, checkin in low_confidence(org=org):
        if objective.owner_id == person_id:
            found.append(
                Suggestion(
                    "low_confidence",
                    f"Confidence {checkin.confidence}/10 reported on {objective.title}",
                )
            )
    since = meeting.scheduled_for - dt.timedelta(days=28)
    if meeting.previous is not None:
        since = meeting.previous.scheduled_for
    with org_scope(org):
        praise = (
            Recognition.objects.filter(rules.recognition_q(actor), recipient_id=person_id)
            .filter(created_at__date__gte=since)
            .select_related("giver")
        )
        for given in praise:
            found.append(
                Suggestion(
                    "recognition",
                    f"Praise from {display_name(given.giver)}: {given.message[:120]}",
                )
            )
        due = PlanMilestone.objects.filter(
            plan__person_id=person_id,
            plan__lead_id=actor.user_id,
            reviewed_at__isnull=True,
            due_on__lte=meeting.scheduled_for + dt.timedelta(days=14),
            plan__state__in=[PlanState.PUBLISHED, PlanState.ACKNOWLEDGED, PlanState.EXTENDED],
        )
        for milestone in due:
            found.append(
                Suggestion(
                    "plan_milestone", f"Improvement plan review due {milestone.due_on:%-d %b %Y}"
                )
            )
        for goal in DevelopmentGoal.objects.filter(
            person_id=person_id,
            done=False,
            due_on__lte=meeting.scheduled_for + dt.timedelta(days=14),
        ):
            found.append(
                Suggestion(
                    "development_goal",
                    f"Development goal due {goal.due_on:%-d %b %Y}: {goal.title}",
                )
            )
        on_agenda = set(meeting.points.values_list("text", flat=True))
    return [s for s in found if s.text not in on_agenda]


# --- recognition


def recognition_list(*, org: Organization, actor: Membership, limit: int = 50) -> list[Recognition]:
    with org_scope(org):
        return list(
            Recognition.objects.filter(rules.recognition_q(actor))
            .select_related("giver", "recipient", "team", "objective", "kpi", "checkin__objective")
            .prefetch_related("values")[:limit]
        )


def company_values(org: Organization) -> QuerySet[CompanyValue]:
    with org_scope(org):
        return CompanyValue.objects.all()


@dataclass
class LeaderRow:
    name: str
    kpis_on_target: int
    kpis: int
    objectives_on_track: int
    objectives: int

    @property
    def attainment(self) -> float:
        return self.kpis_on_target / self.kpis if self.kpis else 0.0


def leaderboard(*, org: Organization, people: bool = False) -> list[LeaderRow]:
    """Teams (or, when the admin turned it on, people) ranked by owned outcomes: the share of
    their KPIs on target and their objectives on track at the latest check-in. Praise does not
    count, so trading it gains nothing."""
    today = org_today(org)
    with org_scope(org):
        kpis = list(Kpi.objects.select_related("objective__team", "outcome_owner"))
        objectives = list(
            Objective.objects.filter(period_start__lte=today, period_end__gte=today).select_related(
                "team", "owner"
            )
        )
    statuses = kpi_statuses(org=org, kpis=kpis)
    latest = latest_checkins(org=org, objective_ids=[o.pk for o in objectives])

    def kpi_key(kpi: Kpi) -> str | None:
        if people:
            return display_name(kpi.outcome_owner)
        return kpi.objective.team.name if kpi.objective else None

    rows: dict[str, LeaderRow] = {}

    def row(name: str) -> LeaderRow:
        return rows.setdefault(name, LeaderRow(name, 0, 0, 0, 0))

    for kpi in kpis:
        if (name := kpi_key(kpi)) is not None:
            row(name).kpis += 1
            row(name).kpis_on_target += statuses[kpi.pk].rag == Rag.GREEN
    for objective in objectives:
        name = display_name(objective.owner) if people else objective.team.name
        row(name).objectives += 1
        checkin = latest.get(objective.pk)
        row(name).objectives_on_track += bool(checkin and checkin.status == CheckInStatus.ON_TRACK)
    return sorted(rows.values(), key=lambda r: (-r.attainment, -r.objectives_on_track, r.name))


# --- the lead's signals


@dataclass
class PersonSignals:
    member: Membership
    needs_attention: list[str] = field(default_factory=list)
    nudge: str = ""


NUDGE_QUIET = dt.timedelta(days=28)


def team_signals(*, org: Organization, actor: Membership) -> list[PersonSignals]:
    """For each member the actor leads: *needs attention* (owned KPIs off target two periods
    running and a low confidence reported: a conversation, not a plan) and a nudge when their
    KPIs have been on target for the last periods without a word of recognition."""
    members = rules.led_members(actor)
    low = low_confidence(org=org)
    since = org_today(org) - NUDGE_QUIET
    with org_scope(org):
        praised = set(
            Recognition.objects.filter(
                recipient_id__in=[m.user_id for m in members], created_at__date__gte=since
            ).values_list("recipient_id", flat=True)
        )
    found = []
    for member in members:
        signals = PersonSignals(member)
        statuses = _owned_statuses(org, member.user_id)
        off = [s for s in statuses if s.off_target_twice]
        unsure = [(o, c) for o, c in low if o.owner_id == member.user_id]
        if off and unsure:
            signals.needs_attention = [
                f"{s.kpi.name} off target two periods running" for s in off
            ] + [f"confidence {c.confidence}/10 on {o.title}" for o, c in unsure]
        green = [s for s in statuses if s.rag == Rag.GREEN and s.previous_rag == Rag.GREEN]
        if statuses and len(green) == len(statuses) and member.user_id not in praised:
            signals.nudge = (
                f"{display_name(member.user)}'s KPIs have been on target for the last two "
                "periods, and nobody has recognised it in four weeks."
            )
        found.append(signals)
    return found


# --- plans


def plan_list(*, org: Organization, actor: Membership) -> QuerySet[ImprovementPlan]:
    with org_scope(org):
        return ImprovementPlan.objects.filter(rules.plans_q(actor)).select_related("person", "lead")


def plan_get(*, org: Organization, actor: Membership, plan_id: object) -> ImprovementPlan:
    with org_scope(org):
        plan = (
            ImprovementPlan.objects.select_related("person", "lead", "approved_by")
            .filter(pk=_uuid(plan_id))
            .first()
        )
    if plan is None or not rules.can_see_plan(actor, plan):
        raise Http404("No such plan.")
    return plan


@dataclass
class ExpectationProgress:
    kpi: Kpi
    baseline: float | None
    baseline_confidence: str
    target: float
    current: float | None
    current_on: dt.date | None
    at_milestones: list[tuple[dt.date, float | None]]

    @property
    def progress(self) -> float | None:
        """Share of the way from baseline to target covered (0–1, may overshoot)."""
        if self.current is None or self.baseline is None or self.target == self.baseline:
            return None
        return (self.current - self.baseline) / (self.target - self.baseline)

    @property
    def met(self) -> bool:
        if self.current is None:
            return False
        if self.kpi.direction == "lower":
            return self.current <= self.target
        return self.current >= self.target


@dataclass
class PlanDetail:
    plan: ImprovementPlan
    expectations: list[ExpectationProgress]
    milestones: list[PlanMilestone]
    revisions: list


def _value_on(values: list[MetricValue], day: dt.date) -> float | None:
    """The latest value for a period on or before `day` (values newest first)."""
    return next((v.value for v in values if v.period_date <= day), None)


def plan_detail(*, org: Organization, plan: ImprovementPlan) -> PlanDetail:
    """The plan with its progress read from the KPIs themselves, now and at each milestone."""
    with org_scope(org):
        expectations = list(plan.expectations.select_related("kpi"))
        milestones = list(plan.milestones.all())
        revisions = list(plan.revisions.select_related("changed_by"))
        values: dict = defaultdict(list)
        for value in MetricValue.objects.filter(
            kpi_id__in=[e.kpi_id for e in expectations], period_date__lte=org_today(org)
        ).order_by("-period_date"):
            values[value.kpi_id].append(value)
    progress = []
    for e in expectations:
        kpi_values = values[e.kpi_id]
        latest = kpi_values[0] if kpi_values else None
        progress.append(
            ExpectationProgress(
                kpi=e.kpi,
                baseline=e.baseline,
                baseline_confidence=e.baseline_confidence,
                target=e.target,
                current=latest.value if latest else None,
                current_on=latest.period_date if latest else None,
                at_milestones=[
                    (m.due_on, _value_on(kpi_values, m.due_on))
                    for m in milestones
                    if m.due_on <= org_today(org)
                ],
            )
        )
    return PlanDetail(plan, progress, milestones, revisions)


def draftable_people(*, org: Organization, actor: Membership) -> list[Membership]:
    return [m for m in rules.led_members(actor) if rules.can_draft_plan(actor, m)]


def kpis_of_led_people(*, org: Organization, actor: Membership) -> QuerySet[Kpi]:
    with org_scope(org):
        return Kpi.objects.filter(
            outcome_owner_id__in=[m.user_id for m in rules.led_members(actor)]
        ).select_related("outcome_owner")


def people_partners(org: Organization) -> list[Membership]:
    with org_scope(org):
        ids = PeoplePartner.objects.values_list("membership_id", flat=True)
        return list(Membership.objects.filter(pk__in=ids).select_related("user"))


def people_settings_of(org: Organization) -> PeopleSettings:
    with org_scope(org):
        return PeopleSettings.objects.filter().first() or PeopleSettings(organization=org)


def members_of(org: Organization) -> QuerySet[Membership]:
    with org_scope(org):
        return Membership.objects.select_related("user", "team").order_by("user__username")


def teams_of(org: Organization) -> QuerySet[Team]:
    with org_scope(org):
        return Team.objects.all()


# --- data rights


def my_people_data(*, org: Organization, actor: Membership) -> dict:
    """Everything the people layer holds about the actor, as they may see it: their 1:1s with
    the shared agenda, actions and their own notes (never the other side's), praise given and
    received, and plans about them once published (drafts are the lead's until approved)."""
    uid = actor.user_id
    with org_scope(org):
        meetings = OneOnOne.objects.filter(rules.one_on_ones_q(actor)).select_related(
            "lead", "report"
        )
        notes = {n.one_on_one_id: n.text for n in PrivateNote.objects.filter(author_id=uid)}
        one_on_ones = [
            {
                "id": str(m.pk),
                "lead": display_name(m.lead),
                "report": display_name(m.report),
                "scheduled_for": m.scheduled_for.isoformat(),
                "held": m.held_at.isoformat() if m.held_at else None,
                "agenda": [{"text": p.text, "done": p.done} for p in m.points.all()],
                "actions": [
                    {"title": a.title, "due": a.due_date.isoformat(), "status": a.status}
                    for a in m.actions.all()
                ],
                "my_private_note": notes.get(m.pk, ""),
            }
            for m in meetings
        ]
        praise = Recognition.objects.filter(Q(giver_id=uid) | Q(recipient_id=uid)).select_related(
            "giver", "recipient", "team"
        )
        recognition = [
            {
                "from": display_name(r.giver),
                "to": display_name(r.recipient) if r.recipient else r.team.name if r.team else "",
                "message": r.message,
                "visibility": r.visibility,
                "at": r.created_at.isoformat(),
            }
            for r in praise
        ]
        plans = [
            {
                "id": str(p.pk),
                "state": p.state,
                "version": p.version,
                "concerns": p.concerns,
                "support": p.support,
                "consequences": p.consequences,
                "start_date": p.start_date.isoformat(),
                "end_date": p.end_date.isoformat(),
                "expectations": [
                    {"kpi": e.kpi.name, "baseline": e.baseline, "target": e.target}
                    for e in p.expectations.select_related("kpi")
                ],
                "signed_version": p.acknowledged_version,
            }
            for p in ImprovementPlan.objects.filter(person_id=uid).exclude(state=PlanState.DRAFT)
        ]
    return {
        "person": display_name(actor.user),
        "organisation": org.name,
        "one_on_ones": one_on_ones,
        "recognition": recognition,
        "improvement_plans": plans,
    }
