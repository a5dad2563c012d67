"""An API key lives only while its owner is an active admin of the organisation; another admin
takes it over explicitly; revoking asks first and says what happened."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from perfmgmt.models import ApiKey, Membership, Role
from perfmgmt.services import api_key_create, api_key_revoke, api_key_take_over, membership_set
from perfmgmt.tenancy import org_scope
from tests.factories import MembershipFactory, UserFactory

KPIS = "/api/v1/o/acme/kpis/"


@pytest.fixture
def second_admin(acme) -> Membership:
    return MembershipFactory(organization=acme.org, user=UserFactory(username="alan"), role="admin")


@pytest.fixture
def keyed(acme, acme_cascade):
    key, secret = api_key_create(org=acme.org, actor=acme.admin, name="Warehouse", scope="read")
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    assert client.get(KPIS).status_code == 200
    return key, client


def refused_as_suspended(client: APIClient) -> bool:
    response = client.get(KPIS)
    return response.status_code == 401 and "suspended" in response.json()["detail"]


def test_a_key_stops_working_when_its_owner_is_deactivated(acme, keyed):
    key, client = keyed
    acme.admin.user.is_active = False
    acme.admin.user.save()
    assert refused_as_suspended(client)


def test_a_key_stops_working_when_its_owner_leaves_the_organisation(acme, keyed):
    _, client = keyed
    with org_scope(acme.org):
        Membership.objects.filter(pk=acme.admin.pk).delete()
    assert refused_as_suspended(client)


def test_a_key_stops_working_when_its_owner_is_no_longer_an_admin(acme, keyed):
    _, client = keyed
    membership_set(org=acme.org, user=acme.admin.user, role=Role.MEMBER)
    assert refused_as_suspended(client)


def test_another_admin_takes_a_suspended_key_over_and_it_works_again(acme, keyed, second_admin):
    key, client = keyed
    acme.admin.user.is_active = False
    acme.admin.user.save()
    assert refused_as_suspended(client)
    api_key_take_over(org=acme.org, actor=second_admin, key=key)
    assert client.get(KPIS).status_code == 200
    with org_scope(acme.org):
        stored = ApiKey.objects.get(pk=key.pk)
    assert stored.owner == second_admin.user and stored.created_by == acme.admin.user


def test_only_an_admin_of_the_same_organisation_takes_a_key_over(acme, globex, keyed):
    key, _ = keyed
    with pytest.raises(PermissionDenied):
        api_key_take_over(org=acme.org, actor=acme.executive, key=key)
    with pytest.raises(ValidationError):
        api_key_take_over(org=acme.org, actor=globex.admin, key=key)


def test_a_revoked_key_cannot_be_revived_by_a_take_over(acme, keyed, second_admin):
    key, client = keyed
    api_key_revoke(org=acme.org, actor=acme.admin, key=key)
    with pytest.raises(ValidationError):
        api_key_take_over(org=acme.org, actor=second_admin, key=key)
    assert client.get(KPIS).status_code == 401


def test_the_keys_page_marks_a_suspended_key_and_offers_the_take_over(
    acme, keyed, second_admin, client_for
):
    key, client = keyed
    acme.admin.user.is_active = False
    acme.admin.user.save()
    page = client_for(second_admin).get("/o/acme/settings/api-keys/").content.decode()
    assert "suspended" in page and f"/o/acme/settings/api-keys/{key.pk}/take-over/" in page
    confirm = client_for(second_admin).get(f"/o/acme/settings/api-keys/{key.pk}/take-over/")
    assert (
        confirm.status_code == 200 and "Take over the key “Warehouse”?" in confirm.content.decode()
    )
    done = client_for(second_admin).post(
        f"/o/acme/settings/api-keys/{key.pk}/take-over/", follow=True
    )
    assert "You own the key “Warehouse” now" in done.content.decode()
    assert client.get(KPIS).status_code == 200


def test_revoking_asks_first_then_says_what_happened(acme, keyed, client_for):
    key, client = keyed
    admin = client_for(acme.admin)
    url = f"/o/acme/settings/api-keys/{key.pk}/revoke/"
    question = admin.get(url)
    assert question.status_code == 200
    text = question.content.decode()
    assert "Revoke the key “Warehouse”?" in text and "will be refused" in text
    assert client.get(KPIS).status_code == 200, "asking revokes nothing"
    done = admin.post(url, follow=True)
    assert done.redirect_chain[-1][0] == "/o/acme/settings/api-keys/"
    assert f"The key “Warehouse” (pm_{key.prefix}_…) is revoked" in done.content.decode()
    assert client.get(KPIS).status_code == 401


@pytest.mark.parametrize("role", ["executive", "member"])
def test_only_admins_reach_the_revoke_and_take_over_pages(acme, keyed, client_for, role):
    key, _ = keyed
    client = client_for(getattr(acme, role))
    for action in ("revoke", "take-over"):
        assert client.get(f"/o/acme/settings/api-keys/{key.pk}/{action}/").status_code == 403
        assert client.post(f"/o/acme/settings/api-keys/{key.pk}/{action}/").status_code == 403
