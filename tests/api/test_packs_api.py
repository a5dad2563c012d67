"""`/api/v1/o/<org>/packs/`: start a pack, follow it, download it — by key or as a person."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from perfmgmt.models import ApiKeyScope
from reviews.packs.services import pack_build
from tests.reviews.conftest import build_pack_world

URL = "/api/v1/o/acme/packs/"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def world(acme):
    return build_pack_world(acme).world


def person(membership) -> APIClient:
    client = APIClient()
    client.force_authenticate(membership.user)
    return client


def test_a_key_starts_a_pack_once_and_follows_it_to_its_files(world, key_client):
    client = key_client(world)
    started = client.post(URL, {"month": "2026-10"}, format="json")
    assert started.status_code == 202, started.json()
    body = started.json()
    assert (body["month"], body["version"], body["status"], body["files"]) == (
        "2026-10",
        1,
        "queued",
        None,
    )
    again = client.post(URL, {"month": "2026-10"}, format="json")
    assert again.status_code == 200 and again.json()["id"] == body["id"]
    pack_build(org=world.org, pack_id=body["id"])
    done = client.get(f"{URL}{body['id']}/").json()
    assert (done["status"], done["progress"]) == ("done", 100)
    assert done["files"]["pdf"].endswith(f"/api/v1/o/acme/packs/{body['id']}/pdf/")
    pdf = client.get(done["files"]["pdf"])
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = client.get(done["files"]["xlsx"])
    assert xlsx.status_code == 200
    listed = client.get(URL).json()["results"]
    assert [p["id"] for p in listed] == [body["id"]]


def test_bad_input_is_a_400_naming_the_field(world, key_client):
    client = key_client(world)
    for payload, field in [
        ({"month": "2026-13"}, "month"),
        ({"month": "October"}, "month"),
        ({"month": 202610}, "month"),
        ({}, "month"),
        ({"month": "2099-01"}, "month"),
        ({"month": "2026-10", "teams": ["nope"]}, "teams"),
        ({"month": "2026-10", "perspectives": ["astrology"]}, "perspectives"),
        ({"month": "2026-10", "teams": "sales"}, "teams"),
    ]:
        response = client.post(URL, payload, format="json")
        assert response.status_code == 400, (payload, response.status_code)
        assert field in response.json(), response.json()


def test_a_read_only_key_reads_packs_but_starts_none(world, key_client):
    client = key_client(world, scope=ApiKeyScope.READ)
    assert client.get(URL).status_code == 200
    assert client.post(URL, {"month": "2026-10"}, format="json").status_code == 403


def test_people_outside_finance_executives_and_admins_get_403(world):
    for member in (world.lead, world.member, world.viewer):
        assert person(member).get(URL).status_code == 403
        assert person(member).post(URL, {"month": "2026-10"}, format="json").status_code == 403
    assert person(world.finance).post(URL, {"month": "2026-10"}, format="json").status_code == 202


def test_another_organisations_key_sees_no_pack(world, globex, key_client):
    started = person(world.finance).post(URL, {"month": "2026-10"}, format="json").json()
    pack_build(org=world.org, pack_id=started["id"])
    outsider = key_client(globex)
    for path in ("", f"{started['id']}/", f"{started['id']}/pdf/", f"{started['id']}/xlsx/"):
        assert outsider.get(URL + path).status_code == 404
        assert outsider.get(f"/api/v1/o/globex/packs/{path}").status_code in (200, 404)
    assert outsider.get(f"/api/v1/o/globex/packs/{started['id']}/pdf/").status_code == 404
    assert outsider.get("/api/v1/o/globex/packs/").json()["results"] == []
