"""The API's shared machinery: organisation access, shared fields, cursor pagination."""

from __future__ import annotations

import datetime as dt

from rest_framework import serializers
from rest_framework.test import APIClient

from objectives.models import StrategicPriority
from perfmgmt.api import CreatedCursorPagination, MemberField, ScopedPkField, ScopedSlugField
from perfmgmt.models import ApiKeyScope, Team
from perfmgmt.services import api_key_create
from tests.factories import MembershipFactory, PriorityFactory, UserFactory


def _key_client(world, scope: str = ApiKeyScope.READ_WRITE) -> APIClient:
    _, secret = api_key_create(org=world.org, actor=world.admin, name="warehouse", scope=scope)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    return client


class Assignment(serializers.Serializer):
    owner = MemberField()
    team = ScopedPkField(Team)
    team_slug = ScopedSlugField(Team)


def _assignment(world, **data) -> Assignment:
    base = {"owner": "sam", "team": str(world.sales.pk), "team_slug": "sales"}
    return Assignment(data={**base, **data}, context={"org": world.org})


def test_the_shared_fields_accept_the_organisations_own_people_and_teams(acme):
    assignment = _assignment(acme)
    assert assignment.is_valid(), assignment.errors
    assert assignment.validated_data == {
        "owner": acme.member.user,
        "team": acme.sales,
        "team_slug": acme.sales,
    }


def test_the_shared_fields_treat_another_organisations_like_missing_ones(acme, globex):
    assignment = _assignment(acme, owner="gus", team=str(globex.sales.pk), team_slug="nowhere")
    assert not assignment.is_valid()
    assert set(assignment.errors) == {"owner", "team", "team_slug"}


def test_a_deactivated_member_cannot_be_named_over_the_api(acme):
    MembershipFactory(organization=acme.org, user=UserFactory(username="gone", is_active=False))
    assignment = _assignment(acme, owner="gone")
    assert not assignment.is_valid() and set(assignment.errors) == {"owner"}


def test_pages_neither_skip_nor_repeat_rows_written_in_the_same_instant(acme):
    for _ in range(5):
        PriorityFactory(organization=acme.org, owner=acme.executive.user)
    same = dt.datetime(2026, 5, 1, 9, tzinfo=dt.UTC)
    StrategicPriority.objects.with_scope(organization=acme.org).all().update(created_at=same)
    client, seen, url = _key_client(acme), [], "/api/v1/o/acme/priorities/?limit=2"
    while url:
        page = client.get(url).json()
        seen += [p["id"] for p in page["results"]]
        url = page["next"]
    assert len(seen) == len(set(seen)) == 5
    assert seen == sorted(seen, reverse=True)  # ties broken by id, newest first


def test_the_pagination_is_named_for_what_it_orders_by():
    assert CreatedCursorPagination.ordering == ("-created_at", "-id")


def test_an_outsider_is_told_the_organisation_does_not_exist(acme, globex):
    assert _key_client(globex).get("/api/v1/o/acme/priorities/").status_code == 404
    session = APIClient()
    session.force_authenticate(globex.admin.user)
    assert session.get("/api/v1/o/acme/priorities/").status_code == 404
    assert session.get("/api/v1/o/no-such-org/priorities/").status_code == 404


def test_an_anonymous_caller_is_asked_to_authenticate_before_anything_is_looked_up(acme):
    for slug in ("acme", "no-such-org"):
        assert APIClient().get(f"/api/v1/o/{slug}/priorities/").status_code == 401


def test_a_read_only_key_reads_but_does_not_write(acme):
    client = _key_client(acme, scope=ApiKeyScope.READ)
    assert client.get("/api/v1/o/acme/priorities/").status_code == 200
    response = client.post("/api/v1/o/acme/priorities/", {}, format="json")
    assert response.status_code == 403
    assert response.json() == {"detail": "This API key is read-only."}
