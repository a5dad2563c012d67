"""The validation helpers services build on."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from perfmgmt.models import Team
from perfmgmt.services import team_create
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_admin, ensure_members, validate, validated_save
from tests.factories import MembershipFactory, UserFactory


def test_validate_checks_uniqueness_within_the_organisation_and_saves_nothing(acme):
    with pytest.raises(ValidationError) as error:
        validate(acme.org, Team(organization=acme.org, name="Sales 2", slug="sales"))
    assert "__all__" in error.value.message_dict
    validate(acme.org, Team(organization=acme.org, name="Ops", slug="ops"))
    with org_scope(acme.org):
        assert not Team.objects.filter(slug="ops").exists()


def test_another_organisations_slug_does_not_collide(acme, globex):
    team = Team(organization=acme.org, name="Ops", slug="ops")
    validated_save(globex.org, Team(organization=globex.org, name="Ops", slug="ops"))
    validated_save(acme.org, team)
    with org_scope(acme.org):
        assert Team.objects.get(slug="ops") == team


def test_only_active_members_of_the_organisation_may_be_named(acme, globex):
    gone = MembershipFactory(organization=acme.org, user=UserFactory(is_active=False)).user
    ensure_members(acme.org, owner=acme.member.user, lead=None)
    with pytest.raises(ValidationError) as error:
        ensure_members(acme.org, owner=globex.member.user, lead=gone, data_owner=acme.lead.user)
    assert set(error.value.message_dict) == {"owner", "lead"}


def test_a_deactivated_person_cannot_be_made_a_team_lead(acme):
    gone = MembershipFactory(organization=acme.org, user=UserFactory(is_active=False)).user
    with pytest.raises(ValidationError) as error:
        team_create(org=acme.org, name="Ops", lead=gone)
    assert "lead" in error.value.message_dict


def test_admin_only_work_is_refused_with_one_sentence(acme):
    ensure_admin(acme.admin, "manage API keys")
    for actor in (acme.executive, acme.finance, acme.lead, acme.member, acme.viewer):
        with pytest.raises(PermissionDenied, match=r"^Only admins manage API keys\.$"):
            ensure_admin(actor, "manage API keys")
