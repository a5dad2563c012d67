from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from perfmgmt.models import Membership, Organization, Role
from perfmgmt.tenancy import org_scope


@pytest.mark.django_db
def test_createorg_makes_an_organisation_with_its_admin(capsys):
    call_command("createorg", "Initech", "--admin", "bill", "--timezone", "Europe/Paris")
    org = Organization.objects.get(slug="initech")
    with org_scope(org):
        assert Membership.objects.get().role == Role.ADMIN
    assert "password (shown once)" in capsys.readouterr().out


@pytest.mark.django_db
def test_createorg_names_a_bad_field():
    with pytest.raises(CommandError, match="timezone"):
        call_command("createorg", "Initech", "--admin", "bill", "--timezone", "Mars/Olympus")
    assert not Organization.objects.exists()
    assert not get_user_model().objects.filter(username="bill").exists()
