"""The wall: who may read and write each people-layer record. Every selector, view and service
of the app asks here; no rule is spelled twice.

- a 1:1 (agenda, actions) is its two participants' alone; each side's private notes are the
  writer's alone;
- an improvement plan is seen by the person's lead (who drafts it), by people partners (who
  approve it), and by the person once it is published; never by admins, executives or finance
  for their role;
- praise is public, for the person and their lead ("manager"), or for the person only, as the
  giver chose; the giver always sees what they gave.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.db.models import Q

from perfmgmt.models import Membership, Organization, Role, Team
from perfmgmt.permissions import leads_team, led_team_q
from perfmgmt.tenancy import org_scope
from reviews.people.models import (
    Assessment,
    AssessmentKind,
    ImprovementPlan,
    OneOnOne,
    PeoplePartner,
    PlanState,
    Recognition,
    Visibility,
)


def is_people_partner(actor: Membership) -> bool:
    """Granted per membership; an admin is a people partner only when granted."""
    with org_scope(actor.organization):
        return PeoplePartner.objects.filter(membership=actor).exists()


def membership_of(*, org: Organization, user_id: int | None) -> Membership | None:
    if user_id is None:
        return None
    with org_scope(org):
        return Membership.objects.select_related("team").filter(user_id=user_id).first()


def is_lead_of(actor: Membership, person: Membership | None) -> bool:
    """The actor leads the team the person belongs to (and is not the person)."""
    if person is None or person.user_id == actor.user_id:
        return False
    return leads_team(actor, person.team)


# --- 1:1s


def can_see_one_on_one(actor: Membership, meeting: OneOnOne) -> bool:
    return actor.user_id in (meeting.lead_id, meeting.report_id)


def can_hold_one_on_one(actor: Membership, report: Membership) -> bool:
    """A lead holds 1:1s with the members of the team they lead."""
    return actor.role != Role.VIEWER and is_lead_of(actor, report)


def one_on_ones_q(actor: Membership) -> Q:
    return Q(lead_id=actor.user_id) | Q(report_id=actor.user_id)


# --- improvement plans


def can_see_plan(actor: Membership, plan: ImprovementPlan) -> bool:
    if actor.user_id == plan.lead_id or is_people_partner(actor):
        return True
    return actor.user_id == plan.person_id and plan.state != PlanState.DRAFT


def plans_q(actor: Membership) -> Q:
    """`can_see_plan` as a filter."""
    if is_people_partner(actor):
        return Q()
    return Q(lead_id=actor.user_id) | (Q(person_id=actor.user_id) & ~Q(state=PlanState.DRAFT))


def can_draft_plan(actor: Membership, person: Membership) -> bool:
    return actor.role == Role.LEAD and is_lead_of(actor, person)


def can_edit_plan(actor: Membership, plan: ImprovementPlan) -> bool:
    return actor.user_id == plan.lead_id


def can_approve_plan(actor: Membership, plan: ImprovementPlan) -> bool:
    """A people partner approves, never the plan's own lead or its person (four eyes)."""
    return is_people_partner(actor) and actor.user_id not in (plan.lead_id, plan.person_id)


def can_acknowledge_plan(actor: Membership, plan: ImprovementPlan) -> bool:
    """The person signs a plan they can see: never a draft."""
    return actor.user_id == plan.person_id and plan.state != PlanState.DRAFT


# --- recognition


def can_see_recognition(actor: Membership, praise: Recognition) -> bool:
    if praise.visibility == Visibility.PUBLIC or actor.user_id == praise.giver_id:
        return True
    if praise.recipient_id is not None:
        if actor.user_id == praise.recipient_id:
            return True
        if praise.visibility == Visibility.MANAGER:
            person = membership_of(org=actor.organization, user_id=praise.recipient_id)
            return is_lead_of(actor, person)
        return False
    # praise for a team that is not public: its members, and the manager-only kind its lead
    if actor.team_id == praise.team_id:
        return True
    return praise.visibility == Visibility.MANAGER and leads_team(actor, praise.team)


def recognition_q(actor: Membership) -> Q:
    """`can_see_recognition` as a filter."""
    seen = Q(visibility=Visibility.PUBLIC) | Q(giver_id=actor.user_id)
    seen |= Q(recipient_id=actor.user_id)
    if actor.team_id is not None:
        seen |= Q(team_id=actor.team_id)
    if actor.role == Role.LEAD:
        led = led_member_ids(actor)
        seen |= Q(visibility=Visibility.MANAGER) & (
            Q(recipient_id__in=led) | Q(team_id__in=led_team_ids(actor))
        )
    return seen


def led_team_ids(actor: Membership) -> list:
    with org_scope(actor.organization):
        return list(Team.objects.filter(led_team_q(actor, "")).values_list("pk", flat=True))


def led_member_ids(actor: Membership) -> list[int]:
    """The users whose lead the actor is."""
    with org_scope(actor.organization):
        return list(
            Membership.objects.filter(team_id__in=led_team_ids(actor))
            .exclude(user_id=actor.user_id)
            .values_list("user_id", flat=True)
        )


def led_members(actor: Membership) -> list[Membership]:
    with org_scope(actor.organization):
        return list(
            Membership.objects.select_related("user", "team")
            .filter(team_id__in=led_team_ids(actor))
            .exclude(user_id=actor.user_id)
            .order_by("user__first_name", "user__username")
        )


def person_lead(person: Membership) -> User | None:
    """The lead of the person's team, if it has one (and it is not the person)."""
    team = person.team
    if team is None or team.lead_id in (None, person.user_id):
        return None
    return team.lead


# --- competencies


def can_assess(actor: Membership, person: Membership, kind: str) -> bool:
    if kind == AssessmentKind.SELF:
        return actor.pk == person.pk
    return is_lead_of(actor, person)


def can_see_assessment(actor: Membership, assessment: Assessment) -> bool:
    """The assessor sees their own at any time; nobody else before it is submitted. Then a
    lead assessment is the person's and the people partners' too; a self-assessment is the
    people partners', and the lead's only once the lead has submitted their own (so the lead's
    judgement is not anchored on the person's)."""
    if actor.user_id == assessment.assessor_id:
        return True
    if assessment.submitted_at is None:
        return False
    if is_people_partner(actor):
        return True
    if assessment.kind == AssessmentKind.LEAD:
        return actor.user_id == assessment.person_id
    person = membership_of(org=actor.organization, user_id=assessment.person_id)
    if not is_lead_of(actor, person):
        return False
    with org_scope(actor.organization):
        return Assessment.objects.filter(
            person_id=assessment.person_id,
            cycle=assessment.cycle,
            kind=AssessmentKind.LEAD,
            assessor_id=actor.user_id,
            submitted_at__isnull=False,
        ).exists()


def can_calibrate(actor: Membership) -> bool:
    """Calibration: leads (their teams) and people partners (every team)."""
    return actor.role == Role.LEAD or is_people_partner(actor)


def calibration_teams_q(actor: Membership) -> Q:
    if is_people_partner(actor):
        return Q()
    return led_team_q(actor, "")
