from __future__ import annotations

import pytest
from django_scopes.exceptions import ScopeError

from metrics.models import Kpi
from objectives.models import StrategicPriority
from perfmgmt.models import Membership, Role
from perfmgmt.services import membership_set
from perfmgmt.tenancy import org_scope


def test_a_tenant_query_without_a_scope_fails_closed(acme_cascade):
    with pytest.raises(ScopeError):
        list(Kpi.objects.all())
    with pytest.raises(ScopeError):
        StrategicPriority.objects.filter(title__startswith="P").count()


def test_a_scope_shows_only_its_own_organisation(acme, acme_cascade, globex_cascade):
    with org_scope(acme.org):
        assert list(Kpi.objects.all()) == [acme_cascade.kpi]


def test_org_scope_refuses_a_missing_organisation():
    with pytest.raises(ValueError), org_scope(None):
        pass


def test_a_user_can_belong_to_two_organisations_and_switch(acme, globex, client_for):
    membership_set(org=globex.org, user=acme.executive.user, role=Role.VIEWER)
    client = client_for(acme.executive)
    picker = client.get("/")
    assert picker.status_code == 200
    assert b"/o/acme/" in picker.content and b"/o/globex/" in picker.content
    assert client.get("/o/acme/").status_code == 200
    assert client.get("/o/globex/").status_code == 200


def test_a_user_with_one_organisation_goes_straight_to_it(acme, client_for):
    response = client_for(acme.member).get("/")
    assert response.status_code == 302 and response["Location"] == "/o/acme/dashboard/"


def test_the_organisation_comes_from_the_url_not_the_session(acme, globex, client_for):
    client = client_for(acme.admin)
    assert client.get("/o/acme/").status_code == 200
    # Having just visited Acme grants nothing in Globex.
    assert client.get("/o/globex/").status_code == 404
    assert client.get("/o/no-such-org/").status_code == 404


def test_a_membership_is_unique_per_organisation(acme):
    again = membership_set(org=acme.org, user=acme.member.user, role=Role.LEAD)
    with org_scope(acme.org):
        assert Membership.objects.filter(user=acme.member.user).count() == 1
    assert again.role == Role.LEAD


def test_healthz_answers_when_the_database_is_reachable(client, db):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json()["status"] in {"ok", "degraded"}
    assert response.json()["database"] == "ok"
