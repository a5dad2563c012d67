from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from objectives.models import Objective, StrategicPriority
from objectives.services import (
    objective_create,
    objective_patch,
    objective_update,
    priority_create,
)
from perfmgmt.tenancy import org_scope
from tests.factories import ObjectiveFactory, PriorityFactory, UserFactory


def priority_fields(owner, **overrides):
    return {
        "title": "Grow revenue",
        "perspective": "financial",
        "owner": owner,
        "rank": 1,
        "horizon_start": dt.date(2026, 1, 1),
        "horizon_end": dt.date(2028, 12, 31),
        "description": "",
        "is_active": True,
        **overrides,
    }


def test_an_executive_creates_a_priority(acme):
    priority = priority_create(
        org=acme.org, actor=acme.executive, **priority_fields(acme.executive.user)
    )
    with org_scope(acme.org):
        assert StrategicPriority.objects.get() == priority
    assert priority.organization == acme.org


@pytest.mark.parametrize("role", ["lead", "member", "viewer", "finance"])
def test_only_admins_and_executives_create_priorities(acme, role):
    with pytest.raises(PermissionDenied):
        priority_create(org=acme.org, actor=getattr(acme, role), **priority_fields(acme.admin.user))
    with org_scope(acme.org):
        assert not StrategicPriority.objects.exists()


def test_a_priority_owner_must_belong_to_the_organisation(acme, globex):
    with pytest.raises(ValidationError) as error:
        priority_create(org=acme.org, actor=acme.admin, **priority_fields(globex.admin.user))
    assert "owner" in error.value.message_dict


def test_a_priority_horizon_must_end_after_it_starts(acme):
    with pytest.raises(ValidationError):
        priority_create(
            org=acme.org,
            actor=acme.admin,
            **priority_fields(acme.admin.user, horizon_end=dt.date(2025, 1, 1)),
        )


def test_an_actor_from_another_organisation_is_refused(acme, globex):
    with pytest.raises(ValidationError) as error:
        priority_create(org=acme.org, actor=globex.admin, **priority_fields(acme.admin.user))
    assert "actor" in error.value.message_dict


def new_objective(world, actor, **overrides):
    fields = {
        "title": "Build pipeline",
        "team": world.sales,
        "owner": world.lead.user,
        "priority": PriorityFactory(organization=world.org, owner=world.admin.user),
        "period_kind": "quarter",
        "period_date": dt.date(2026, 11, 22),
        **overrides,
    }
    return objective_create(org=world.org, actor=actor, **fields)


def test_a_quarterly_objective_gets_its_fiscal_quarter(acme):
    objective = new_objective(acme, acme.admin)
    assert (objective.period_start, objective.period_end) == (
        dt.date(2026, 10, 1),
        dt.date(2026, 12, 31),
    )


def test_quarters_follow_the_fiscal_year_start(acme):
    acme.org.fiscal_year_start_month = 4
    acme.org.save()
    objective = new_objective(acme, acme.admin, period_date=dt.date(2027, 2, 10))
    assert (objective.period_start, objective.period_end) == (
        dt.date(2027, 1, 1),
        dt.date(2027, 3, 31),
    )


def test_a_lead_plans_objectives_for_their_own_team(acme):
    objective = new_objective(acme, acme.lead)
    assert objective.team == acme.sales


def test_a_lead_cannot_plan_for_another_team(acme):
    with pytest.raises(PermissionDenied):
        new_objective(acme, acme.lead, team=acme.support)
    with org_scope(acme.org):
        assert not Objective.objects.exists()


@pytest.mark.parametrize("role", ["member", "viewer", "finance"])
def test_members_viewers_and_finance_do_not_plan_objectives(acme, role):
    with pytest.raises(PermissionDenied):
        new_objective(acme, getattr(acme, role))


def test_a_lead_cannot_move_another_teams_objective_into_their_team(acme):
    theirs = ObjectiveFactory(organization=acme.org, team=acme.support, owner=acme.admin.user)
    with pytest.raises(PermissionDenied):
        objective_update(
            org=acme.org,
            actor=acme.lead,
            objective=theirs,
            title=theirs.title,
            team=acme.sales,
            owner=acme.lead.user,
            priority=theirs.priority,
            period_kind="year",
            period_date=theirs.period_start,
        )


def test_an_objective_cannot_use_another_organisations_team(acme, globex):
    with pytest.raises(ValidationError) as error:
        new_objective(acme, acme.admin, team=globex.sales)
    assert "team" in error.value.message_dict


def test_an_objective_cannot_align_to_another_organisations_priority(acme, globex):
    foreign = PriorityFactory(organization=globex.org, owner=globex.admin.user)
    with pytest.raises(ValidationError) as error:
        new_objective(acme, acme.admin, priority=foreign)
    assert "priority" in error.value.message_dict


def test_an_objective_owner_must_be_a_member(acme):
    stranger = UserFactory()
    with pytest.raises(ValidationError) as error:
        new_objective(acme, acme.admin, owner=stranger)
    assert "owner" in error.value.message_dict


def test_a_sub_objective_inherits_its_parents_priority(acme):
    parent = new_objective(acme, acme.admin, period_kind="year")
    child = new_objective(acme, acme.admin, priority=None, parent=parent)
    assert child.priority == parent.priority
    assert child.parent == parent


def test_a_sub_objective_cannot_serve_a_different_priority(acme):
    parent = new_objective(acme, acme.admin, period_kind="year")
    with pytest.raises(ValidationError) as error:
        new_objective(acme, acme.admin, parent=parent)  # a fresh, different priority
    assert "priority" in error.value.message_dict


def test_a_sub_objective_lies_within_its_parents_period(acme):
    parent = new_objective(acme, acme.admin, period_kind="quarter")
    with pytest.raises(ValidationError) as error:
        new_objective(acme, acme.admin, priority=None, parent=parent, period_kind="year")
    assert "period_kind" in error.value.message_dict


def test_the_cascade_cannot_loop(acme):
    top = new_objective(acme, acme.admin, period_kind="year")
    child = new_objective(acme, acme.admin, priority=None, parent=top, period_kind="year")
    with pytest.raises(ValidationError) as error:
        objective_update(
            org=acme.org,
            actor=acme.admin,
            objective=top,
            title=top.title,
            team=top.team,
            owner=top.owner,
            priority=None,
            parent=child,
            period_kind="year",
            period_date=top.period_start,
        )
    assert "parent" in error.value.message_dict


def test_an_objective_needs_a_priority_or_a_parent(acme):
    with pytest.raises(ValidationError) as error:
        new_objective(acme, acme.admin, priority=None)
    assert "priority" in error.value.message_dict


def test_an_objective_runs_in_a_window_it_overlaps_and_only_in_its_organisation(
    acme, acme_cascade, globex_cascade
):
    import datetime as dt

    from objectives.selectors import objectives_running

    objective = acme_cascade.objective
    objective.period_start, objective.period_end = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    objective.save()
    globex_cascade.objective.period_start = dt.date(2026, 10, 1)
    globex_cascade.objective.period_end = dt.date(2026, 12, 31)
    globex_cascade.objective.save()

    def running(start: dt.date, end: dt.date | None = None) -> list:
        return list(objectives_running(org=acme.org, start=start, end=end))

    assert running(dt.date(2026, 11, 16)) == [objective]
    assert running(dt.date(2026, 12, 28), dt.date(2027, 1, 3)) == [objective]  # a week across
    assert running(dt.date(2027, 1, 1)) == []
    assert running(dt.date(2026, 9, 28), dt.date(2026, 9, 30)) == []


def test_patching_a_sub_objective_keeps_it_under_its_parent(acme, acme_cascade):
    parent = acme_cascade.objective
    child = ObjectiveFactory(
        organization=acme.org,
        team=acme.sales,
        owner=acme.lead.user,
        priority=parent.priority,
        parent=parent,
    )
    patched = objective_patch(org=acme.org, actor=acme.lead, objective=child, title="Renamed")
    assert patched.title == "Renamed"
    assert patched.parent == parent and patched.priority == parent.priority
    assert (patched.period_start, patched.period_end) == (parent.period_start, parent.period_end)


def test_patching_an_unknown_field_is_refused(acme, acme_cascade):
    with pytest.raises(ValidationError) as error:
        objective_patch(
            org=acme.org, actor=acme.lead, objective=acme_cascade.objective, colour="red"
        )
    assert "colour" in error.value.message_dict


def test_patching_refuses_an_objective_of_another_organisation(acme, acme_cascade, globex):
    with pytest.raises(ValidationError):
        objective_patch(
            org=globex.org, actor=globex.admin, objective=acme_cascade.objective, title="Mine"
        )
