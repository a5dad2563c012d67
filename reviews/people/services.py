"""Writes of the people layer. Each one checks the wall (`rules.py`) before it writes."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from metrics.models import Kpi, MetricValue
from objectives.models import Objective
from perfmgmt import outbound
from perfmgmt.celery import app as celery_app
from perfmgmt.models import Membership, Organization, Team
from perfmgmt.periods import org_today
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import (
    ensure_admin,
    ensure_allowed,
    ensure_members,
    ensure_same_org,
    validated_save,
)
from reviews.models import ActionItem, CheckIn
from reviews.people import rules
from reviews.people.models import (
    REMOVED,
    CompanyValue,
    DevelopmentGoal,
    ImprovementPlan,
    OneOnOne,
    PeoplePartner,
    PeopleSettings,
    PlanExpectation,
    PlanMilestone,
    PlanRevision,
    PlanState,
    PrivateNote,
    Rating,
    Recognition,
    TalkingPoint,
    Visibility,
)
from reviews.services import action_create

logger = logging.getLogger(__name__)

NOT_YOURS = "This is not yours to see or change."


# --- the grant


@transaction.atomic
def people_partner_grant(*, org: Organization, actor: Membership, member: Membership) -> None:
    ensure_admin(actor, "grant the people partner permission")
    ensure_same_org(org, member=member)
    with org_scope(org):
        PeoplePartner.objects.get_or_create(
            organization=org, membership=member, defaults={"granted_by": actor.user}
        )


@transaction.atomic
def people_partner_revoke(*, org: Organization, actor: Membership, member: Membership) -> None:
    ensure_admin(actor, "revoke the people partner permission")
    with org_scope(org):
        PeoplePartner.objects.filter(membership=member).delete()


def people_settings(org: Organization) -> PeopleSettings:
    with org_scope(org):
        found, _ = PeopleSettings.objects.get_or_create(organization=org)
    return found


SETTINGS_FIELDS = (
    "person_leaderboard",
    "min_group_size",
    "keep_one_on_ones_days",
    "keep_recognition_days",
    "keep_plans_days",
    "keep_assessments_days",
)


@transaction.atomic
def people_settings_update(
    *, org: Organization, actor: Membership, **fields: object
) -> PeopleSettings:
    ensure_admin(actor, "change the people settings")
    found = people_settings(org)
    for name, value in fields.items():
        if name not in SETTINGS_FIELDS:
            raise ValidationError({name: "Not a people setting."})
        setattr(found, name, value)
    validated_save(org, found)
    return found


@transaction.atomic
def company_value_add(*, org: Organization, actor: Membership, name: str) -> CompanyValue:
    ensure_admin(actor, "set the organisation's values")
    value = CompanyValue(organization=org, name=name.strip())
    validated_save(org, value)
    return value


# --- 1:1s


def _participant(actor: Membership, meeting: OneOnOne) -> None:
    ensure_allowed(rules.can_see_one_on_one(actor, meeting), NOT_YOURS)


@transaction.atomic
def one_on_one_schedule(
    *,
    org: Organization,
    actor: Membership,
    report: Membership,
    scheduled_for: dt.date,
    cadence_days: int = 7,
) -> OneOnOne:
    """The next 1:1 of a lead with a member of their team (the planned one, if there is one)."""
    ensure_same_org(org, report=report)
    ensure_allowed(
        rules.can_hold_one_on_one(actor, report), "You hold 1:1s with your team's members only."
    )
    with org_scope(org):
        planned = OneOnOne.objects.filter(
            lead=actor.user, report=report.user, held_at__isnull=True
        ).first()
    if planned is not None:
        return planned
    meeting = OneOnOne(
        organization=org,
        lead=actor.user,
        report=report.user,
        scheduled_for=scheduled_for,
        cadence_days=cadence_days,
    )
    validated_save(org, meeting)
    return meeting


@transaction.atomic
def talking_point_add(
    *, org: Organization, actor: Membership, meeting: OneOnOne, text: str, suggestion: str = ""
) -> TalkingPoint:
    _participant(actor, meeting)
    if meeting.held_at is not None:
        raise ValidationError({"text": "This 1:1 has been held; add the point to the next one."})
    point = TalkingPoint(
        organization=org,
        one_on_one=meeting,
        text=text.strip(),
        added_by=actor.user,
        suggestion=suggestion,
    )
    validated_save(org, point)
    return point


@transaction.atomic
def talking_point_tick(
    *, org: Organization, actor: Membership, meeting: OneOnOne, point_id: int, done: bool
) -> TalkingPoint:
    _participant(actor, meeting)
    with org_scope(org):
        point = TalkingPoint.objects.filter(one_on_one=meeting, pk=point_id).first()
    if point is None:
        raise ValidationError({"point": "No such talking point on this 1:1."})
    point.done = done
    point.save(update_fields=["done"])
    return point


@transaction.atomic
def private_note_save(
    *, org: Organization, actor: Membership, meeting: OneOnOne, text: str
) -> PrivateNote:
    """The actor's own note on the 1:1; the other side never reads it."""
    _participant(actor, meeting)
    with org_scope(org):
        note, _ = PrivateNote.objects.update_or_create(
            organization=org, one_on_one=meeting, author=actor.user, defaults={"text": text}
        )
    return note


@transaction.atomic
def one_on_one_action_add(
    *,
    org: Organization,
    actor: Membership,
    meeting: OneOnOne,
    title: str,
    owner: User,
    due_date: dt.date,
) -> ActionItem:
    """An action with one owner, one of the two people in the 1:1."""
    _participant(actor, meeting)
    if owner.pk not in (meeting.lead_id, meeting.report_id):
        raise ValidationError({"owner": "An action from a 1:1 belongs to one of its two people."})
    action = action_create(org=org, actor=actor, title=title, owner=owner, due_date=due_date)
    with org_scope(org):
        meeting.actions.add(action)
    return action


@transaction.atomic
def one_on_one_hold(*, org: Organization, actor: Membership, meeting: OneOnOne) -> OneOnOne:
    """Mark the 1:1 held and plan the next on its cadence, carrying unticked points over.
    Safe to run twice: only the first call claims the meeting."""
    _participant(actor, meeting)
    with org_scope(org):
        held_at = timezone.now()
        claimed = OneOnOne.objects.filter(pk=meeting.pk, held_at__isnull=True).update(
            held_at=held_at
        )
        if not claimed:
            following = OneOnOne.objects.filter(previous=meeting).first()
            return following or meeting
        meeting.held_at = held_at
        following = OneOnOne(
            organization=org,
            lead_id=meeting.lead_id,
            report_id=meeting.report_id,
            scheduled_for=meeting.scheduled_for + dt.timedelta(days=meeting.cadence_days),
            cadence_days=meeting.cadence_days,
            previous=meeting,
        )
        validated_save(org, following)
        TalkingPoint.objects.bulk_create(
            TalkingPoint(
                organization=org,
                one_on_one=following,
                text=point.text,
                added_by_id=point.added_by_id,
                suggestion=point.suggestion,
                carried_over=True,
            )
            for point in meeting.points.filter(done=False)
        )
    return following


# --- recognition

# Against two people trading praise: one giver praises one person at most this often in the
# window; and praise never counts on the leaderboard, which ranks owned outcomes only.
PRAISE_PAIR_LIMIT = 2
PRAISE_PAIR_WINDOW = dt.timedelta(days=30)


@transaction.atomic
def recognition_give(
    *,
    org: Organization,
    actor: Membership,
    message: str,
    recipient: User | None = None,
    team: Team | None = None,
    visibility: str = Visibility.PUBLIC,
    objective: Objective | None = None,
    kpi: Kpi | None = None,
    checkin: CheckIn | None = None,
    values: Sequence[CompanyValue] = (),
    post_to_webhook: bool = False,
) -> Recognition:
    ensure_same_org(org, team=team, objective=objective, kpi=kpi, checkin=checkin)
    ensure_same_org(org, **{f"values_{i}": v for i, v in enumerate(values)})
    ensure_members(org, recipient=recipient)
    if (recipient is None) == (team is None):
        raise ValidationError({"recipient": "Praise a person or a team (one of the two)."})
    if recipient is not None and recipient.pk == actor.user_id:
        raise ValidationError({"recipient": "Praise someone other than yourself."})
    if not (objective or kpi or checkin):
        raise ValidationError(
            {"objective": "Say what it is for: an objective, a KPI or a check-in."}
        )
    since = timezone.now() - PRAISE_PAIR_WINDOW
    with org_scope(org):
        given = Recognition.objects.filter(
            giver=actor.user, recipient=recipient, team=team, created_at__gte=since
        ).count()
    if given >= PRAISE_PAIR_LIMIT:
        raise ValidationError(
            {"recipient": f"You have praised them {given} times in the last 30 days already."}
        )
    praise = Recognition(
        organization=org,
        giver=actor.user,
        recipient=recipient,
        team=team,
        message=message.strip(),
        visibility=visibility,
        objective=objective,
        kpi=kpi,
        checkin=checkin,
    )
    validated_save(org, praise)
    with org_scope(org):
        praise.values.set(values)
    if post_to_webhook and visibility == Visibility.PUBLIC and org.slack_webhook_url:
        args = (org.pk, str(praise.pk))

        def publish() -> None:
            celery_app.send_task("reviews.people.tasks.recognition_post_task", args=args)

        transaction.on_commit(publish, robust=True)
    return praise


def recognition_post(*, org: Organization, recognition_id: str) -> bool:
    """Post public praise to the organisation's webhook, once: the post is claimed first and
    released again if it fails. Only public praise ever leaves."""
    with org_scope(org):
        praise = (
            Recognition.objects.select_related("giver", "recipient", "team")
            .filter(pk=recognition_id, visibility=Visibility.PUBLIC)
            .first()
        )
        if praise is None or not org.slack_webhook_url:
            return False
        claimed = Recognition.objects.filter(pk=praise.pk, posted_at__isnull=True).update(
            posted_at=timezone.now()
        )
    if not claimed:
        return False
    whom = display_name(praise.recipient) if praise.recipient else str(praise.team)
    text = f":tada: {display_name(praise.giver)} recognised {whom}: {praise.message}"
    try:
        outbound.request(
            "POST", org.slack_webhook_url, json={"text": text}, timeout=settings.WEBHOOK_TIMEOUT
        ).raise_for_status()
    except outbound.OutboundError:
        with org_scope(org):
            Recognition.objects.filter(pk=praise.pk).update(posted_at=None)
        raise
    return True


# --- improvement plans

PLAN_TEXT_FIELDS = ("concerns", "support", "consequences", "start_date", "duration_days")


@dataclass(frozen=True)
class ExpectationInput:
    kpi: Kpi
    target: float


def _snapshot(plan: ImprovementPlan) -> dict:
    with org_scope(plan.organization):
        expectations = [
            {"kpi": str(e.kpi_id), "baseline": e.baseline, "target": e.target}
            for e in plan.expectations.all()
        ]
    return {
        "state": plan.state,
        "version": plan.version,
        "concerns": plan.concerns,
        "support": plan.support,
        "consequences": plan.consequences,
        "start_date": plan.start_date.isoformat(),
        "end_date": plan.end_date.isoformat(),
        "expectations": expectations,
    }


def _revise(plan: ImprovementPlan, actor: Membership, change: str) -> None:
    before = _snapshot(plan)
    with org_scope(plan.organization):
        PlanRevision.objects.create(
            organization=plan.organization,
            plan=plan,
            changed_by=actor.user,
            before=before,
            change=change,
        )


def _milestones(org: Organization, plan: ImprovementPlan) -> None:
    """A review every 30 days and at the end; reviewed ones are kept."""
    with org_scope(org):
        plan.milestones.filter(reviewed_at__isnull=True).delete()
        kept = set(plan.milestones.values_list("due_on", flat=True))
        day = plan.start_date + dt.timedelta(days=30)
        dates = []
        while day < plan.end_date:
            dates.append(day)
            day += dt.timedelta(days=30)
        dates.append(plan.end_date)
        PlanMilestone.objects.bulk_create(
            PlanMilestone(organization=org, plan=plan, due_on=d) for d in dates if d not in kept
        )


def _expectations(
    org: Organization, plan: ImprovementPlan, expectations: Sequence[ExpectationInput]
) -> None:
    if not expectations:
        raise ValidationError({"kpi_1": "Set at least one expectation on a KPI the person owns."})
    kpis = [e.kpi for e in expectations]
    ensure_same_org(org, **{f"kpi_{i + 1}": k for i, k in enumerate(kpis)})
    errors = {
        f"kpi_{i + 1}": "The person does not own this KPI's outcome."
        for i, k in enumerate(kpis)
        if k.outcome_owner_id != plan.person_id
    }
    if len({k.pk for k in kpis}) != len(kpis):
        errors["kpi_2"] = "Each expectation needs a KPI of its own."
    if errors:
        raise ValidationError(errors)
    with org_scope(org):
        plan.expectations.all().delete()
        for item in expectations:
            # Where the KPI stood when the plan began: its last value up to the start date (the
            # latest one, for a plan starting today or later).
            values = MetricValue.objects.filter(kpi=item.kpi).order_by("-period_date")
            base = values.filter(period_date__lte=plan.start_date).first() or values.first()
            PlanExpectation.objects.create(
                organization=org,
                plan=plan,
                kpi=item.kpi,
                baseline=base.value if base else None,
                baseline_confidence=base.confidence if base else "",
                target=item.target,
            )


@transaction.atomic
def plan_draft(
    *,
    org: Organization,
    actor: Membership,
    person: Membership,
    concerns: str,
    support: str,
    consequences: str,
    start_date: dt.date,
    duration_days: int,
    expectations: Sequence[ExpectationInput],
) -> ImprovementPlan:
    """A lead drafts a plan for a member of their team; a people partner approves it."""
    ensure_same_org(org, person=person)
    ensure_allowed(
        rules.can_draft_plan(actor, person), "Only the person's lead drafts an improvement plan."
    )
    plan = ImprovementPlan(
        organization=org,
        person=person.user,
        lead=actor.user,
        concerns=concerns,
        support=support,
        consequences=consequences,
        start_date=start_date,
        duration_days=duration_days,
        end_date=start_date + dt.timedelta(days=duration_days),
    )
    validated_save(org, plan)
    _expectations(org, plan, expectations)
    _milestones(org, plan)
    return plan


@transaction.atomic
def plan_update(
    *,
    org: Organization,
    actor: Membership,
    plan: ImprovementPlan,
    expectations: Sequence[ExpectationInput] | None = None,
    **fields: object,
) -> ImprovementPlan:
    """The lead changes the plan. Once published, every change is a new version the person
    signs again."""
    ensure_allowed(rules.can_edit_plan(actor, plan), "Only the plan's lead changes it.")
    if plan.state in (PlanState.COMPLETED, PlanState.NOT_COMPLETED):
        raise ValidationError("A closed plan does not change.")
    _revise(plan, actor, "changed")
    for name, value in fields.items():
        if name not in PLAN_TEXT_FIELDS:
            raise ValidationError({name: "Not a field of the plan."})
        setattr(plan, name, value)
    plan.end_date = plan.start_date + dt.timedelta(days=plan.duration_days)
    if plan.state != PlanState.DRAFT:
        plan.version += 1
        if plan.state == PlanState.ACKNOWLEDGED:
            plan.state = PlanState.PUBLISHED
    validated_save(org, plan)
    if expectations is not None:
        _expectations(org, plan, expectations)
    _milestones(org, plan)
    return plan


@transaction.atomic
def plan_approve(*, org: Organization, actor: Membership, plan: ImprovementPlan) -> ImprovementPlan:
    ensure_allowed(
        rules.can_approve_plan(actor, plan),
        "A people partner other than the plan's lead approves it.",
    )
    with org_scope(org):
        _revise(plan, actor, "approved and published")
        claimed = ImprovementPlan.objects.filter(pk=plan.pk, state=PlanState.DRAFT).update(
            state=PlanState.PUBLISHED, approved_by=actor.user, approved_at=timezone.now()
        )
    if not claimed:
        raise ValidationError("Only a draft is approved.")
    plan.refresh_from_db()
    return plan


@transaction.atomic
def plan_acknowledge(
    *, org: Organization, actor: Membership, plan: ImprovementPlan
) -> ImprovementPlan:
    """The person signs the plan's current version."""
    ensure_allowed(rules.can_acknowledge_plan(actor, plan), "Only the person signs their plan.")
    if not plan.needs_signature:
        raise ValidationError("There is no new version of the plan to sign.")
    _revise(plan, actor, f"signed version {plan.version}")
    if plan.state == PlanState.PUBLISHED:
        plan.state = PlanState.ACKNOWLEDGED
    plan.acknowledged_version = plan.version
    plan.acknowledged_at = timezone.now()
    plan.save(update_fields=["state", "acknowledged_version", "acknowledged_at"])
    return plan


# Where the lead may move an acknowledged plan, and back.
TRANSITIONS = {
    PlanState.ACKNOWLEDGED: {
        PlanState.PAUSED,
        PlanState.EXTENDED,
        PlanState.COMPLETED,
        PlanState.NOT_COMPLETED,
    },
    PlanState.PAUSED: {PlanState.ACKNOWLEDGED},
    PlanState.EXTENDED: {PlanState.COMPLETED, PlanState.NOT_COMPLETED, PlanState.PAUSED},
}
EXTENSION = dt.timedelta(days=30)


@transaction.atomic
def plan_move(
    *, org: Organization, actor: Membership, plan: ImprovementPlan, to: str
) -> ImprovementPlan:
    """Pause, resume, extend (30 days, signed again) or close an acknowledged plan."""
    ensure_allowed(rules.can_edit_plan(actor, plan), "Only the plan's lead moves it on.")
    if to not in TRANSITIONS.get(PlanState(plan.state), set()) or plan.needs_signature:
        raise ValidationError(
            {"state": f"A plan that is {plan.get_state_display().lower()} cannot become {to}."}
        )
    _revise(plan, actor, f"{plan.state} → {to}")
    if to == PlanState.EXTENDED:
        plan.end_date += EXTENSION
        plan.version += 1
    plan.state = to
    validated_save(org, plan)
    if to == PlanState.EXTENDED:
        _milestones(org, plan)
    return plan


@transaction.atomic
def milestone_review(
    *, org: Organization, actor: Membership, plan: ImprovementPlan, due_on: dt.date, note: str
) -> PlanMilestone:
    ensure_allowed(rules.can_edit_plan(actor, plan), "Only the plan's lead reviews milestones.")
    with org_scope(org):
        milestone = plan.milestones.filter(due_on=due_on).first()
        if milestone is None:
            raise ValidationError({"due_on": "No milestone on that day."})
        milestone.note = note
        milestone.reviewed_at = timezone.now()
        milestone.save(update_fields=["note", "reviewed_at"])
    return milestone


# --- retention


def _left(org: Organization) -> Q:
    """Users who have left the organisation: no membership any more, or deactivated."""
    with org_scope(org):
        members = Membership.objects.filter(user__is_active=True).values("user_id")
    return ~Q(pk__in=members)


@transaction.atomic
def people_retention_apply(*, org: Organization, today: dt.date | None = None) -> int:
    """Remove the words of people-layer records about people who have left, once each record
    type's retention period has passed: private notes go, texts become REMOVED. The rows stay
    (counts, dates and states still add up, and the audit trail keeps what it was told).
    Safe to run twice; returns the number of records changed."""
    settings_ = people_settings(org)
    today = today or org_today(org)

    def before(days: int) -> dt.date:
        return today - dt.timedelta(days=days)

    left = User.objects.filter(_left(org)).values("pk")
    changed = 0
    with org_scope(org):
        meetings = OneOnOne.objects.filter(
            Q(lead_id__in=left) | Q(report_id__in=left),
            scheduled_for__lt=before(settings_.keep_one_on_ones_days),
        )
        changed += PrivateNote.objects.filter(one_on_one__in=meetings).delete()[0]
        changed += (
            TalkingPoint.objects.filter(one_on_one__in=meetings)
            .exclude(text=REMOVED)
            .update(text=REMOVED)
        )
        changed += (
            Recognition.objects.filter(
                Q(giver_id__in=left) | Q(recipient_id__in=left),
                created_at__date__lt=before(settings_.keep_recognition_days),
            )
            .exclude(message=REMOVED)
            .update(message=REMOVED)
        )
        plans = ImprovementPlan.objects.filter(
            person_id__in=left, end_date__lt=before(settings_.keep_plans_days)
        ).exclude(concerns=REMOVED)
        plan_ids = list(plans.values_list("pk", flat=True))
        changed += plans.update(concerns=REMOVED, support=REMOVED, consequences=REMOVED)
        PlanRevision.objects.filter(plan_id__in=plan_ids).update(before={})
        PlanMilestone.objects.filter(plan_id__in=plan_ids).update(note="")
        changed += (
            Rating.objects.filter(
                assessment__person_id__in=left,
                assessment__created_at__date__lt=before(settings_.keep_assessments_days),
            )
            .exclude(comment="")
            .update(comment="")
        )
        changed += (
            DevelopmentGoal.objects.filter(
                person_id__in=left, due_on__lt=before(settings_.keep_assessments_days)
            )
            .exclude(title=REMOVED)
            .update(title=REMOVED)
        )
    return changed
