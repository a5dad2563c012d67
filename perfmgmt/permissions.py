"""Who may do what, by role. Services call these; views use them only to hide buttons."""

from __future__ import annotations

from typing import TYPE_CHECKING

from perfmgmt.models import Membership, Role

if TYPE_CHECKING:
    from metrics.models import Kpi
    from objectives.models import Objective
    from perfmgmt.models import Team

STRATEGY_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE})


def can_manage_strategy(actor: Membership) -> bool:
    """Priorities, any objective, any KPI: admins and executives."""
    return actor.role in STRATEGY_ROLES


def leads_team(actor: Membership, team: Team | None) -> bool:
    if team is None or actor.role != Role.LEAD:
        return False
    return team.lead_id == actor.user_id or team.pk == actor.team_id


def can_edit_team_work(actor: Membership, team: Team | None) -> bool:
    """Create or edit objectives and KPIs of a team."""
    return can_manage_strategy(actor) or leads_team(actor, team)


def can_edit_objective(actor: Membership, objective: Objective) -> bool:
    return can_edit_team_work(actor, objective.team)


def kpi_team(kpi: Kpi) -> Team | None:
    return kpi.objective.team if kpi.objective_id else None


def can_edit_kpi(actor: Membership, kpi: Kpi) -> bool:
    return can_edit_team_work(actor, kpi_team(kpi))


def can_set_target(actor: Membership, kpi: Kpi) -> bool:
    return actor.role == Role.FINANCE or can_edit_kpi(actor, kpi)


def can_record_value(actor: Membership, kpi: Kpi) -> bool:
    if actor.role == Role.VIEWER:
        return False
    owns = actor.user_id in (kpi.data_owner_id, kpi.outcome_owner_id)
    return owns or can_edit_kpi(actor, kpi)


def can_check_in(actor: Membership, objective: Objective) -> bool:
    """Only the objective's owner or its team's lead reports on it."""
    if actor.role == Role.VIEWER:
        return False
    return objective.owner_id == actor.user_id or leads_team(actor, objective.team)


def can_run_review(actor: Membership, kind: str, team: Team | None) -> bool:
    """Executives and admins run every review; finance the business and strategy reviews;
    a lead the weekly review of their own team."""
    if can_manage_strategy(actor):
        return True
    if actor.role == Role.FINANCE:
        return kind != "weekly"
    return kind == "weekly" and leads_team(actor, team)


def can_update_action(actor: Membership, owner_id: int) -> bool:
    return actor.user_id == owner_id or can_manage_strategy(actor) or actor.role == Role.LEAD


def can_plan_risks(actor: Membership, objective: Objective) -> bool:
    return objective.owner_id == actor.user_id or can_edit_objective(actor, objective)
