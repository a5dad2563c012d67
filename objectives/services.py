"""Writes and rules for priorities and objectives."""

from __future__ import annotations

import datetime as dt
import uuid
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction

from objectives.models import Objective, PeriodKind, StrategicPriority
from perfmgmt.models import Membership, Organization, Team
from perfmgmt.periods import period_for
from perfmgmt.permissions import can_edit_objective, can_edit_team_work, can_manage_strategy
from perfmgmt.validation import ensure_allowed, ensure_members, ensure_same_org, validated_save

PRIORITY_FIELDS = (
    "title",
    "description",
    "perspective",
    "owner",
    "rank",
    "horizon_start",
    "horizon_end",
    "is_active",
)


@transaction.atomic
def priority_create(*, org: Organization, actor: Membership, **fields: Any) -> StrategicPriority:
    return priority_update(
        org=org, actor=actor, priority=StrategicPriority(organization=org), **fields
    )


@transaction.atomic
def priority_update(
    *, org: Organization, actor: Membership, priority: StrategicPriority, **fields: Any
) -> StrategicPriority:
    ensure_same_org(org, priority=priority, actor=actor)
    ensure_allowed(can_manage_strategy(actor), "Only admins and executives edit priorities.")
    unknown = set(fields) - set(PRIORITY_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    ensure_members(org, owner=fields.get("owner"))
    for name, value in fields.items():
        setattr(priority, name, value)
    validated_save(org, priority)
    return priority


def _period_bounds(org: Organization, period_kind: str, period_date: dt.date) -> tuple:
    if period_kind not in PeriodKind.values:
        raise ValidationError({"period_kind": f"Choose one of {', '.join(PeriodKind.values)}."})
    period = period_for(period_kind, period_date, org.fiscal_year_start_month)
    return period.start, period.end


def _check_alignment(objective: Objective) -> None:
    """A child objective serves its parent's priority, inside its parent's period, no loops."""
    parent = objective.parent
    if parent is None:
        return
    if objective.priority_id is None:
        objective.priority_id = parent.priority_id
    errors: dict[str, str] = {}
    if parent.priority_id != objective.priority_id:
        errors["priority"] = "A sub-objective aligns to the same priority as its parent."
    if not (
        parent.period_start <= objective.period_start <= objective.period_end <= parent.period_end
    ):
        errors["period_kind"] = "A sub-objective's period must lie within its parent's period."
    ancestor: Objective | None = parent
    seen: set[uuid.UUID] = set()
    while ancestor is not None:
        if ancestor.pk == objective.pk or ancestor.pk in seen:
            errors["parent"] = "An objective cannot sit under itself or its own sub-objectives."
            break
        seen.add(ancestor.pk)
        ancestor = ancestor.parent
    if errors:
        raise ValidationError(errors)


@transaction.atomic
def objective_create(
    *,
    org: Organization,
    actor: Membership,
    title: str,
    team: Team,
    owner: User,
    period_kind: str,
    period_date: dt.date,
    priority: StrategicPriority | None = None,
    parent: Objective | None = None,
    description: str = "",
) -> Objective:
    objective = Objective(organization=org)
    return objective_update(
        org=org,
        actor=actor,
        objective=objective,
        title=title,
        team=team,
        owner=owner,
        period_kind=period_kind,
        period_date=period_date,
        priority=priority,
        parent=parent,
        description=description,
    )


OBJECTIVE_FIELDS = (
    "title",
    "description",
    "team",
    "owner",
    "priority",
    "parent",
    "period_kind",
    "period_date",
)


def _objective_fields(objective: Objective) -> dict[str, Any]:
    """The stored objective as `objective_update`'s arguments. A sub-objective's priority is
    its parent's, so it is left to follow the parent; the period is named by its first day."""
    return {
        "title": objective.title,
        "description": objective.description,
        "team": objective.team,
        "owner": objective.owner,
        "priority": None if objective.parent_id else objective.priority,
        "parent": objective.parent,
        "period_kind": objective.period_kind,
        "period_date": objective.period_start,
    }


@transaction.atomic
def objective_patch(
    *, org: Organization, actor: Membership, objective: Objective, **changes: Any
) -> Objective:
    """Change some fields of an objective (the API's PATCH); the rest keep their values.
    The same rules as `objective_update`, which judges the merged whole."""
    unknown = set(changes) - set(OBJECTIVE_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    fields = {**_objective_fields(objective), **changes}
    return objective_update(org=org, actor=actor, objective=objective, **fields)


@transaction.atomic
def objective_update(
    *,
    org: Organization,
    actor: Membership,
    objective: Objective,
    title: str,
    team: Team,
    owner: User,
    period_kind: str,
    period_date: dt.date,
    priority: StrategicPriority | None = None,
    parent: Objective | None = None,
    description: str = "",
) -> Objective:
    ensure_same_org(
        org, actor=actor, objective=objective, team=team, priority=priority, parent=parent
    )
    ensure_members(org, owner=owner)
    if not objective._state.adding:
        ensure_allowed(can_edit_objective(actor, objective), "You cannot edit this objective.")
    ensure_allowed(
        can_edit_team_work(actor, team), "You can only plan objectives for a team you lead."
    )
    if priority is None:
        if parent is None:
            raise ValidationError({"priority": "Align the objective to a strategic priority."})
        priority = parent.priority
    objective.title = title
    objective.description = description
    objective.team = team
    objective.owner = owner
    objective.priority = priority
    objective.parent = parent
    objective.period_kind = period_kind
    objective.period_start, objective.period_end = _period_bounds(org, period_kind, period_date)
    _check_alignment(objective)
    validated_save(org, objective)
    return objective
