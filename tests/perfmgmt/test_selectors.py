"""Who counts as a member, and the organisation's teams."""

from __future__ import annotations

from perfmgmt.selectors import org_members, team_list
from tests.factories import MembershipFactory, UserFactory


def test_the_members_of_acme_are_its_active_people_only(acme, globex):
    gone = MembershipFactory(organization=acme.org, user=UserFactory(is_active=False)).user
    members = set(org_members(acme.org))
    assert acme.lead.user in members and acme.viewer.user in members
    assert gone not in members
    assert not members & {globex.admin.user, globex.lead.user}


def test_deactivated_members_are_listed_only_when_asked_for(acme, globex):
    gone = MembershipFactory(organization=acme.org, user=UserFactory(is_active=False)).user
    everyone = list(org_members(acme.org, active_only=False))
    assert gone in everyone and globex.admin.user not in everyone
    assert len(everyone) == len(set(everyone)) == 7


def test_members_are_listed_by_name(acme):
    names = [(u.first_name, u.last_name, u.username) for u in org_members(acme.org)]
    assert names == sorted(names)


def test_the_team_list_is_the_organisations_own_and_can_be_read_after_the_scope(acme, globex):
    teams = team_list(org=acme.org)  # no scope is active here: the filter is already applied
    assert [t.name for t in teams] == ["Sales", "Support"]
    assert globex.sales not in teams
