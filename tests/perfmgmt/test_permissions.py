"""The permission predicates, and the queryset form of "who leads a team"."""

from __future__ import annotations

import pytest

from objectives.models import Objective
from perfmgmt.models import Role, Team
from perfmgmt.permissions import can_plan, is_admin, leads_team, led_team_q
from perfmgmt.tenancy import org_scope
from tests.conftest import OrgWorld, _member
from tests.factories import ObjectiveFactory, TeamFactory


def _everyone(world: OrgWorld) -> list:
    return [
        world.admin,
        world.executive,
        world.finance,
        world.lead,
        world.member,
        world.viewer,
    ]


@pytest.fixture
def leads(acme: OrgWorld) -> list:
    """Besides Lena (named lead of Sales, in Sales): a lead who only belongs to Support, and
    one named lead of a third team she does not belong to."""
    support_lead = _member(acme.org, "sid", Role.LEAD, acme.support)
    named_lead = _member(acme.org, "nora", Role.LEAD)
    TeamFactory(organization=acme.org, name="Ops", slug="ops", lead=named_lead.user)
    return [acme.lead, support_lead, named_lead]


def test_led_team_q_picks_the_teams_leads_team_allows(acme, globex, leads):
    with org_scope(acme.org):
        teams = list(Team.objects.all())
        for actor in [*_everyone(acme), *leads, globex.lead]:
            expected = {t.pk for t in teams if leads_team(actor, t)}
            found = set(
                Team.objects.filter(led_team_q(actor, prefix="")).values_list("pk", flat=True)
            )
            assert found == expected, actor.user.username


def test_led_team_q_picks_the_work_of_the_teams_leads_team_allows(acme, globex, leads):
    for team in Team.objects.with_scope(organization=acme.org).all():
        ObjectiveFactory(organization=acme.org, team=team)
    ObjectiveFactory(organization=globex.org, team=globex.sales)
    with org_scope(acme.org):
        objectives = list(Objective.objects.select_related("team"))
        for actor in [*_everyone(acme), *leads]:
            expected = {o.pk for o in objectives if leads_team(actor, o.team)}
            found = set(Objective.objects.filter(led_team_q(actor)).values_list("pk", flat=True))
            assert found == expected, actor.user.username
        assert Objective.objects.filter(led_team_q(leads[0])).exists()


def test_a_lead_of_another_organisation_leads_nothing_here(acme, globex):
    ObjectiveFactory(organization=acme.org, team=acme.sales)
    ObjectiveFactory(organization=globex.org, team=globex.sales)
    with org_scope(acme.org):
        assert not Objective.objects.filter(led_team_q(globex.lead)).exists()
    with org_scope(globex.org):
        assert Objective.objects.filter(led_team_q(globex.lead)).get().team == globex.sales


def test_only_admins_are_admins(acme):
    assert [is_admin(m) for m in _everyone(acme)] == [True, False, False, False, False, False]


def test_strategy_roles_and_leads_may_plan(acme):
    assert [can_plan(m) for m in _everyone(acme)] == [True, True, False, True, False, False]
