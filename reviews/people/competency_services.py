"""Writes of the competency sub-domain: the framework, assessments, development goals."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from perfmgmt.models import Membership, Organization, Role, Team
from perfmgmt.periods import fiscal_quarter, org_today
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_admin, ensure_allowed, ensure_same_org, validated_save
from reviews.people import rules
from reviews.people.models import (
    Assessment,
    Competency,
    DevelopmentGoal,
    ExpectedLevel,
    Rating,
)


def current_cycle(org: Organization) -> str:
    """Assessments run per fiscal quarter, named the way people say it ("2026 Q4")."""
    return fiscal_quarter(org_today(org), org.fiscal_year_start_month).label


@transaction.atomic
def competency_add(
    *, org: Organization, actor: Membership, name: str, description: str, levels: list[str]
) -> Competency:
    ensure_admin(actor, "change the competency framework")
    levels = [level.strip() for level in levels if level.strip()]
    if len(levels) < 2:
        raise ValidationError({"levels": "Describe at least two levels, one a line."})
    competency = Competency(organization=org, name=name.strip(), description=description)
    competency.levels = levels
    validated_save(org, competency)
    return competency


def _check_level(competency: Competency, level: int, field: str = "level") -> None:
    if not 1 <= level <= len(competency.levels):
        raise ValidationError({field: f"Choose a level from 1 to {len(competency.levels)}."})


@transaction.atomic
def expected_level_set(
    *,
    org: Organization,
    actor: Membership,
    competency: Competency,
    level: int,
    role: str = "",
    team: Team | None = None,
) -> ExpectedLevel:
    ensure_admin(actor, "set expected levels")
    ensure_same_org(org, competency=competency, team=team)
    if role and role not in Role.values:
        raise ValidationError({"role": "No such role."})
    if not role and team is None:
        raise ValidationError({"role": "Set the level for a role or for a team."})
    _check_level(competency, level)
    with org_scope(org):
        expected, _ = ExpectedLevel.objects.update_or_create(
            organization=org,
            competency=competency,
            role=role if team is None else "",
            team=team,
            defaults={"level": level},
        )
    return expected


@transaction.atomic
def assessment_start(
    *, org: Organization, actor: Membership, person: Membership, kind: str
) -> Assessment:
    """This cycle's self-assessment (the person's) or lead assessment (their lead's)."""
    ensure_same_org(org, person=person)
    ensure_allowed(
        rules.can_assess(actor, person, kind),
        "People assess themselves, and their lead assesses them.",
    )
    with org_scope(org):
        assessment, _ = Assessment.objects.get_or_create(
            organization=org,
            person=person.user,
            kind=kind,
            cycle=current_cycle(org),
            defaults={"assessor": actor.user},
        )
    ensure_allowed(assessment.assessor_id == actor.user_id, "Another lead holds this assessment.")
    return assessment


@transaction.atomic
def assessment_rate(
    *,
    org: Organization,
    actor: Membership,
    assessment: Assessment,
    ratings: Mapping[Competency, tuple[int, str]],
    submit: bool = False,
) -> Assessment:
    """Save the assessor's ratings; `submit` closes the assessment (it no longer changes)."""
    ensure_allowed(actor.user_id == assessment.assessor_id, "Only its assessor rates it.")
    if assessment.submitted_at is not None:
        raise ValidationError("This assessment has been submitted.")
    ensure_same_org(org, **{f"competency_{c.pk}": c for c in ratings})
    for competency, (level, _comment) in ratings.items():
        _check_level(competency, level, f"level_{competency.pk}")
    with org_scope(org):
        for competency, (level, comment) in ratings.items():
            Rating.objects.update_or_create(
                organization=org,
                assessment=assessment,
                competency=competency,
                defaults={"level": level, "comment": comment},
            )
        if submit:
            if assessment.ratings.count() < Competency.objects.count():
                raise ValidationError("Rate every competency before you submit.")
            assessment.submitted_at = timezone.now()
            assessment.save(update_fields=["submitted_at"])
    return assessment


@transaction.atomic
def development_goal_add(
    *,
    org: Organization,
    actor: Membership,
    person: Membership,
    title: str,
    due_on: dt.date,
    competency: Competency | None = None,
) -> DevelopmentGoal:
    ensure_same_org(org, person=person, competency=competency)
    ensure_allowed(
        actor.pk == person.pk or rules.is_lead_of(actor, person),
        "A development goal is the person's or their lead's to set.",
    )
    goal = DevelopmentGoal(
        organization=org,
        person=person.user,
        competency=competency,
        title=title,
        due_on=due_on,
        created_by=actor.user,
    )
    validated_save(org, goal)
    return goal
