"""The wall, walked: every role × every people-layer record × every visibility, through the
pages themselves; and every other page and API route of the organisation, searched for the
people layer's secret texts."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from rest_framework.test import APIClient

from perfmgmt.models import Membership
from perfmgmt.services import api_key_create
from perfmgmt.tenancy import org_scope
from reviews.packs.services import pack_build, pack_request
from reviews.people import rules, services
from reviews.people.models import ImprovementPlan, Visibility
from tests.people.conftest import AGENDA, CONCERNS, LEAD_NOTE, MEMBER_NOTE, PRAISE
from tests.perfmgmt import test_outsider_walk as walk

acme_objects = walk.acme_objects  # the outsider walk's objects: one of each URL parameter
all_routes, fill = walk.all_routes, walk.fill

ROLES = [
    "admin",
    "executive",
    "finance",
    "lead",
    "member",
    "viewer",
    "other_lead",
    "support_member",
    "partner",
]

# Who sees each record, by the rules in the issue.
SEES_ONE_ON_ONE = {"lead", "member"}
SEES_DRAFT_PLAN = {"lead", "partner"}
SEES_PUBLISHED_PLAN = {"lead", "partner", "member"}
SEES_PRAISE = {
    Visibility.PUBLIC: set(ROLES),
    # given by support_member: the person, their lead, and the giver
    Visibility.MANAGER: {"member", "lead", "support_member"},
    # given by other_lead: the person and the giver only
    Visibility.PRIVATE: {"member", "other_lead"},
}


@pytest.mark.parametrize("role", ROLES)
def test_a_one_on_one_and_its_notes_are_seen_only_by_the_right_side(role, people, client_for):
    url = f"/o/acme/people/one-on-ones/{people.meeting.pk}/"
    response = client_for(people.everyone()[role]).get(url)
    if role not in SEES_ONE_ON_ONE:
        assert response.status_code == 404
        return
    page = response.content.decode()
    assert AGENDA in page
    assert (LEAD_NOTE in page) is (role == "lead")
    assert (MEMBER_NOTE in page) is (role == "member")


@pytest.mark.parametrize("role", ROLES)
def test_a_plan_is_seen_by_the_lead_and_partners_and_once_published_by_the_person(
    role, people, client_for
):
    actor = people.everyone()[role]
    client = client_for(actor)
    url = f"/o/acme/people/plans/{people.plan.pk}/"
    draft = client.get(url)
    assert (draft.status_code == 200) is (role in SEES_DRAFT_PLAN)
    assert (CONCERNS in draft.content.decode()) is (role in SEES_DRAFT_PLAN)
    assert rules.can_see_plan(actor, people.plan) is (role in SEES_DRAFT_PLAN)

    services.plan_approve(org=people.acme.org, actor=people.partner, plan=people.plan)
    published = client.get(url)
    assert (published.status_code == 200) is (role in SEES_PUBLISHED_PLAN)
    assert (CONCERNS in published.content.decode()) is (role in SEES_PUBLISHED_PLAN)
    assert (published.status_code == 200) is (role in SEES_PUBLISHED_PLAN)
    listed = client.get("/o/acme/people/").content.decode()
    assert (f"/people/plans/{people.plan.pk}/" in listed) is (role in SEES_PUBLISHED_PLAN)
    pdf = client.get(f"{url}pdf/")
    assert (pdf.status_code == 200) is (role in SEES_PUBLISHED_PLAN)


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("visibility", list(Visibility))
def test_praise_is_seen_as_its_giver_chose(role, visibility, people, client_for):
    actor = people.everyone()[role]
    expected = role in SEES_PRAISE[visibility]
    for url in ("/o/acme/people/recognition/", "/o/acme/people/recognition/feed/"):
        page = client_for(actor).get(url, HTTP_HX_REQUEST="true").content.decode()
        assert (PRAISE[visibility] in page) is expected, url
    assert rules.can_see_recognition(actor, people.praise[visibility]) is expected


def test_admins_are_not_people_partners_unless_granted(people):
    assert rules.is_people_partner(people.acme.admin) is False
    assert rules.is_people_partner(people.partner) is True
    services.people_partner_grant(
        org=people.acme.org, actor=people.acme.admin, member=people.acme.admin
    )
    assert rules.is_people_partner(people.acme.admin) is True


def test_a_person_exports_what_the_people_layer_holds_about_them_and_no_more(people, client_for):
    services.plan_approve(org=people.acme.org, actor=people.partner, plan=people.plan)
    member = json.loads(client_for(people.acme.member).get("/o/acme/people/my-data/").content)
    text = json.dumps(member)
    assert MEMBER_NOTE in text and AGENDA in text and CONCERNS in text
    assert all(message in text for message in PRAISE.values())
    assert LEAD_NOTE not in text
    lead = json.dumps(
        json.loads(client_for(people.acme.lead).get("/o/acme/people/my-data/").content)
    )
    assert LEAD_NOTE in lead and MEMBER_NOTE not in lead
    assert CONCERNS not in lead  # the plan is about Sam, not about Lena
    assert PRAISE[Visibility.PRIVATE] not in lead


SECRETS = [AGENDA, CONCERNS, LEAD_NOTE, MEMBER_NOTE, PRAISE[Visibility.MANAGER]]
SECRETS += [PRAISE[Visibility.PRIVATE], PRAISE[Visibility.PUBLIC]]


def _body(response) -> str:
    if response.streaming:
        data = b"".join(response.streaming_content)
        if data.startswith(b"PK"):  # a workbook: search the XML inside it
            with zipfile.ZipFile(io.BytesIO(data)) as book:
                data = b"".join(book.read(name) for name in book.namelist())
        return data.decode(errors="replace")
    return response.content.decode(errors="replace")


@pytest.mark.parametrize("role", ["admin", "executive", "finance", "viewer"])
def test_no_other_page_export_or_api_route_shows_the_people_layer(
    role, acme, acme_objects, client_for
):
    """Dashboards, exceptions, packs, exports and the REST API never read the people layer:
    not one of its texts, not even public praise, appears outside its own pages. The plan is
    published and a pack built after the people data exists, so both had the chance to leak."""
    with org_scope(acme.org):
        partner = Membership.objects.get(user__username="pia")
        plan = ImprovementPlan.objects.get(pk=acme_objects["plan_id"])
    services.plan_approve(org=acme.org, actor=partner, plan=plan)
    pack, _ = pack_request(org=acme.org, actor=acme.finance, month=dt.date(2026, 11, 1))
    pack = pack_build(org=acme.org, pack_id=pack.pk)
    assert not [s for s in SECRETS if s in json.dumps(pack.snapshot)]
    objects = {**acme_objects, "pack_id": str(pack.pk)}
    client = client_for(getattr(acme, role))
    _, secret = api_key_create(org=acme.org, actor=acme.admin, name="leak", scope="read")
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {secret}")
    checked = 0
    for route in all_routes():
        if "<slug:org_slug>" not in route or route.startswith("o/<slug:org_slug>/people/"):
            continue
        url = fill(route, "acme", objects)
        body = _body((api if route.startswith("api/") else client).get(url))
        leaked = [s for s in SECRETS if s in body]
        assert leaked == [], f"{url} shows {leaked}"
        checked += 1
    assert checked > 40
