"""Writes and rules for check-ins, review meetings, actions, pre-mortems and retrospectives."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from metrics.ingestion import BatchRejected, IngestionBusy, RawValue, values_ingest
from metrics.models import Confidence, Kpi, MetricValue, Source
from objectives.models import Objective
from perfmgmt import periods
from perfmgmt.history import actor_context
from perfmgmt.models import Membership, Organization, Role, Team
from perfmgmt.periods import org_today
from perfmgmt.permissions import (
    can_check_in,
    can_plan_risks,
    can_run_review,
    can_update_action,
    can_write_commentary,
)
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_allowed, ensure_members, ensure_same_org, validated_save
from reviews.models import (
    LOW_CONFIDENCE,
    ActionItem,
    ActionStatus,
    CheckIn,
    CheckInStatus,
    Decision,
    KpiCommentary,
    MeetingKind,
    ReviewMeeting,
    Risk,
)
from reviews.selectors import agenda_build


@dataclass(frozen=True)
class KpiValueIn:
    kpi: Kpi
    value: float
    confidence: str = Confidence.PRELIMINARY
    # The person checking in has seen that someone else recorded this period's number and
    # means to replace it (the value history keeps the one replaced).
    replace_others: bool = False


def checkin_week_closed(org: Organization, week_start: dt.date) -> bool:
    """A week closes when it ends in the organisation's time zone; then its check-ins lock."""
    return org_today(org) > week_start + dt.timedelta(days=6)


@transaction.atomic
def checkin_submit(
    *,
    org: Organization,
    actor: Membership,
    objective: Objective,
    week_start: dt.date,
    status: str,
    progress: int,
    confidence: int,
    reason: str = "",
    blockers: str = "",
    next_steps: str = "",
    values: Sequence[KpiValueIn] = (),
) -> CheckIn:
    """The weekly check-in of one objective, with the values of its due KPIs, all or nothing.

    Submitting again in the same week edits it (each edit is kept as a revision); once the week
    has closed it is locked.
    """
    ensure_same_org(org, objective=objective, actor=actor)
    ensure_allowed(can_check_in(actor, objective), "Only the owner or the team lead checks in.")
    errors: dict[str, str] = {}
    if week_start != periods.week_start(week_start):
        errors["week_start"] = "A check-in week starts on a Monday."
    elif week_start > org_today(org):
        errors["week_start"] = "This week has not started yet."
    elif checkin_week_closed(org, week_start):
        errors["week_start"] = "This week has closed; its check-ins are locked."
    if status not in CheckInStatus.values:
        errors["status"] = "Choose on track, at risk or off track."
    if not 0 <= confidence <= 10:
        errors["confidence"] = "Confidence runs from 0 to 10."
    if not 0 <= progress <= 100:
        errors["progress"] = "Progress is a percentage from 0 to 100."
    needs_reason = confidence <= LOW_CONFIDENCE or status == CheckInStatus.OFF_TRACK
    if needs_reason and not reason.strip():
        errors["reason"] = "Say why: confidence is low or the objective is off track."
    errors |= _others_numbers(org, actor, week_start, values)
    if errors:
        raise ValidationError(errors)
    with actor_context(actor), org_scope(org):
        checkin = (
            CheckIn.objects.select_for_update()
            .filter(objective=objective, week_start=week_start)
            .first()
        )
        if checkin is None:
            checkin = CheckIn(organization=org, objective=objective, week_start=week_start)
        checkin.author = actor.user
        checkin.status = status
        checkin.progress = progress
        checkin.confidence = confidence
        checkin.reason = reason
        checkin.blockers = blockers
        checkin.next_steps = next_steps
        validated_save(org, checkin)
    if values:
        rows = [
            RawValue(kpi=v.kpi.pk, period_date=week_start, value=v.value, confidence=v.confidence)
            for v in values
        ]
        try:
            values_ingest(org=org, rows=rows, source=Source.MANUAL, actor=actor)
        except BatchRejected as exc:
            raise ValidationError(
                {f"value_{values[e.index].kpi.key}": e.message for e in exc.errors}
            ) from exc
        except IngestionBusy as busy:
            raise busy.as_validation_error() from busy
    return checkin


def _others_numbers(
    org: Organization, actor: Membership, week_start: dt.date, values: Sequence[KpiValueIn]
) -> dict[str, str]:
    """A check-in never silently overwrites a number another person recorded for the period:
    replacing it must be asked for (`replace_others`)."""
    wanted = {
        (v.kpi.pk, periods.cadence_period_start(v.kpi.cadence, week_start)): v
        for v in values
        if not v.replace_others
    }
    if not wanted:
        return {}
    with org_scope(org):
        stored = MetricValue.objects.filter(
            kpi_id__in=[kpi for kpi, _ in wanted], period_date__in={day for _, day in wanted}
        ).select_related("recorded_by")
        errors = {}
        for value in stored:
            given = wanted.get((value.kpi_id, value.period_date))
            who = value.recorded_by
            if given is None or who is None or who.pk == actor.user_id:
                continue
            if value.value == given.value:
                continue
            errors[f"value_{given.kpi.key}"] = (
                f"{display_name(who)} recorded {value.value:g} "
                f"({value.get_confidence_display().lower()}) for this period. Tick "
                f"“Replace the number {display_name(who)} recorded” to replace it."
            )
    return errors


@transaction.atomic
def meeting_create(
    *,
    org: Organization,
    actor: Membership,
    kind: str,
    held_on: dt.date,
    team: Team | None = None,
) -> ReviewMeeting:
    """A review meeting whose agenda is generated from the data as it stands now."""
    ensure_same_org(org, team=team, actor=actor)
    if kind == MeetingKind.WEEKLY and team is None:
        raise ValidationError({"team": "A weekly operational review is per team."})
    ensure_allowed(can_run_review(actor, kind, team), "Your role does not run this review.")
    meeting = ReviewMeeting(
        organization=org, kind=kind, team=team, held_on=held_on, created_by=actor.user
    )
    meeting.agenda = agenda_build(org=org, team=team).as_json()
    validated_save(org, meeting)
    return meeting


@transaction.atomic
def meeting_notes_set(
    *, org: Organization, actor: Membership, meeting: ReviewMeeting, notes: str
) -> ReviewMeeting:
    ensure_same_org(org, meeting=meeting, actor=actor)
    ensure_allowed(can_run_review(actor, meeting.kind, meeting.team))
    meeting.notes = notes
    meeting.save(update_fields=["notes"])
    return meeting


@transaction.atomic
def decision_record(
    *, org: Organization, actor: Membership, meeting: ReviewMeeting, text: str
) -> Decision:
    ensure_same_org(org, meeting=meeting, actor=actor)
    ensure_allowed(can_run_review(actor, meeting.kind, meeting.team))
    if not text.strip():
        raise ValidationError({"text": "Write the decision down."})
    with org_scope(org):
        return Decision.objects.create(
            organization=org, meeting=meeting, text=text.strip(), recorded_by=actor.user
        )


@transaction.atomic
def action_create(
    *,
    org: Organization,
    actor: Membership,
    title: str,
    owner: User,
    due_date: dt.date,
    meeting: ReviewMeeting | None = None,
    kpi: Kpi | None = None,
    objective: Objective | None = None,
) -> ActionItem:
    """An action with exactly one owner and a due date, linked to a KPI or an objective."""
    ensure_same_org(org, meeting=meeting, kpi=kpi, objective=objective, actor=actor)
    ensure_members(org, owner=owner)
    if meeting is not None:
        ensure_allowed(can_run_review(actor, meeting.kind, meeting.team))
    else:
        ensure_allowed(actor.role != Role.VIEWER)
    action = ActionItem(
        organization=org,
        meeting=meeting,
        title=title,
        owner=owner,
        due_date=due_date,
        kpi=kpi,
        objective=objective,
    )
    validated_save(org, action)
    return action


@transaction.atomic
def action_status_set(
    *, org: Organization, actor: Membership, action: ActionItem, status: str
) -> ActionItem:
    ensure_same_org(org, action=action, actor=actor)
    ensure_allowed(can_update_action(actor, action.owner_id), "Only its owner updates an action.")
    if status not in ActionStatus.values:
        raise ValidationError({"status": "Choose open, done or dropped."})
    action.status = status
    action.closed_at = None if status == ActionStatus.OPEN else timezone.now()
    action.save(update_fields=["status", "closed_at"])
    return action


@transaction.atomic
def risk_add(
    *,
    org: Organization,
    actor: Membership,
    objective: Objective,
    description: str,
    likelihood: str,
    early_sign: str = "",
) -> Risk:
    """A pre-mortem entry: what could make this objective fail."""
    ensure_same_org(org, objective=objective, actor=actor)
    ensure_allowed(can_plan_risks(actor, objective))
    risk = Risk(
        organization=org,
        objective=objective,
        description=description,
        likelihood=likelihood,
        early_sign=early_sign,
        created_by=actor.user,
    )
    validated_save(org, risk)
    return risk


@transaction.atomic
def risk_review(
    *, org: Organization, actor: Membership, risk: Risk, outcome: str, learned: str
) -> Risk:
    """The retrospective's answer for one risk: did it happen, and what was learned."""
    ensure_same_org(org, risk=risk, actor=actor)
    ensure_allowed(can_plan_risks(actor, risk.objective))
    if not learned.strip():
        raise ValidationError({"learned": "Record what was learned."})
    risk.outcome = outcome
    risk.learned = learned
    risk.reviewed_at = timezone.now()
    validated_save(org, risk)
    return risk


COMMENTARY_MAX = 2000


@transaction.atomic
def commentary_save(
    *,
    org: Organization,
    actor: Membership,
    kpi: Kpi,
    month: dt.date,
    analysis: str,
    next_step: str,
) -> KpiCommentary:
    """The owner's analysis and next step for one KPI's month; writing again edits it, and
    each edit keeps what it said before as a revision."""
    ensure_same_org(org, kpi=kpi, actor=actor)
    ensure_allowed(
        can_write_commentary(actor, kpi), "Only the KPI's outcome owner writes its commentary."
    )
    errors: dict[str, str] = {}
    if month.day != 1:
        errors["month"] = "A commentary is for a month: give its first day."
    elif month > org_today(org).replace(day=1):
        errors["month"] = "This month has not started yet."
    for name, text in (("analysis", analysis), ("next_step", next_step)):
        if not text.strip():
            errors[name] = "Write a sentence or two."
        elif len(text) > COMMENTARY_MAX:
            errors[name] = f"At most {COMMENTARY_MAX} characters ({len(text)} given)."
        elif "\x00" in text:
            errors[name] = "Remove the NUL character."
    if errors:
        raise ValidationError(errors)
    with actor_context(actor), org_scope(org):
        commentary = KpiCommentary.objects.select_for_update().filter(kpi=kpi, month=month).first()
        if commentary is not None:
            if commentary.snapshot() == {"analysis": analysis, "next_step": next_step}:
                return commentary
        else:
            commentary = KpiCommentary(organization=org, kpi=kpi, month=month)
        commentary.analysis = analysis
        commentary.next_step = next_step
        commentary.author = actor.user
        validated_save(org, commentary)
    return commentary
