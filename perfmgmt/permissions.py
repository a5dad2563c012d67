"""Who may do what, by role. Services call these; views use them only to hide buttons.

The core sits below the apps, so the app objects a rule reads (an objective, a KPI) are
described by the few attributes it needs, not imported.
"""

from __future__ import annotations

from typing import Protocol

from django.db.models import Q

from perfmgmt.models import Membership, Role, Team

STRATEGY_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE})


class TeamWork(Protocol):
    """An objective: one owner, worked on by a team (or by none)."""

    @property
    def owner_id(self) -> int | None: ...

    @property
    def team(self) -> Team | None: ...


class Measure(Protocol):
    """A KPI: its two owners and the objective it serves, if any."""

    @property
    def data_owner_id(self) -> int | None: ...

    @property
    def outcome_owner_id(self) -> int | None: ...

    @property
    def objective_id(self) -> object: ...

    @property
    def objective(self) -> TeamWork | None: ...


def is_admin(actor: Membership) -> bool:
    """The organisation's admins: keys, settings, data sources."""
    return actor.role == Role.ADMIN


def can_manage_strategy(actor: Membership) -> bool:
    """Priorities, any objective, any KPI: admins and executives."""
    return actor.role in STRATEGY_ROLES


def can_plan(actor: Membership) -> bool:
    """May open the planning pages: strategy roles, and leads for their teams' work."""
    return can_manage_strategy(actor) or actor.role == Role.LEAD


def leads_team(actor: Membership, team: Team | None) -> bool:
    """A lead leads the team they are named lead of, and the team they belong to."""
    if team is None or actor.role != Role.LEAD:
        return False
    return team.lead_id == actor.user_id or team.pk == actor.team_id


def led_team_q(actor: Membership, prefix: str = "team") -> Q:
    """`leads_team` as a filter: rows whose team (reached through `prefix`, "" for Team itself)
    the actor leads. Matches nothing for anyone but a lead, like `leads_team`."""
    if actor.role != Role.LEAD:
        return Q(pk__in=[])
    lead, team = (f"{prefix}__lead", prefix) if prefix else ("lead", "pk")
    led = Q(**{lead: actor.user_id})
    if actor.team_id is not None:  # Q(team=None) would match work of no team
        led |= Q(**{team: actor.team_id})
    return led


def can_edit_team_work(actor: Membership, team: Team | None) -> bool:
    """Create or edit objectives and KPIs of a team."""
    return can_manage_strategy(actor) or leads_team(actor, team)


def can_edit_objective(actor: Membership, objective: TeamWork) -> bool:
    return can_edit_team_work(actor, objective.team)


def kpi_team(kpi: Measure) -> Team | None:
    if not kpi.objective_id:
        return None  # without loading the objective
    objective = kpi.objective
    return objective.team if objective is not None else None


def can_edit_kpi(actor: Membership, kpi: Measure) -> bool:
    return can_edit_team_work(actor, kpi_team(kpi))


def can_set_target(actor: Membership, kpi: Measure) -> bool:
    return actor.role == Role.FINANCE or can_edit_kpi(actor, kpi)


def can_record_value(actor: Membership, kpi: Measure) -> bool:
    if actor.role == Role.VIEWER:
        return False
    owns = actor.user_id in (kpi.data_owner_id, kpi.outcome_owner_id)
    return owns or can_edit_kpi(actor, kpi)


def can_check_in(actor: Membership, objective: TeamWork) -> bool:
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


def can_plan_risks(actor: Membership, objective: TeamWork) -> bool:
    return objective.owner_id == actor.user_id or can_edit_objective(actor, objective)


PACK_ROLES = frozenset({Role.ADMIN, Role.EXECUTIVE, Role.FINANCE})


def can_see_packs(actor: Membership) -> bool:
    """The monthly business-review packs: generate, download, mark presented."""
    return actor.role in PACK_ROLES


def can_write_commentary(actor: Membership, kpi: Measure) -> bool:
    """A KPI's monthly commentary is its outcome owner's to write (and a strategy role's)."""
    if actor.role == Role.VIEWER:
        return False
    return actor.user_id == kpi.outcome_owner_id or can_manage_strategy(actor)
