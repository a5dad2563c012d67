from __future__ import annotations

import pytest

from metrics.models import Kpi, Target
from objectives.models import Objective, StrategicPriority
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory


def test_the_cascade_is_one_nested_document(acme, acme_cascade, key_client):
    doc = key_client(acme, scope="read").get("/api/v1/o/acme/cascade/").json()
    financial = next(p for p in doc["perspectives"] if p["perspective"] == "financial")
    objective = financial["priorities"][0]["objectives"][0]
    assert objective["title"] == acme_cascade.objective.title
    assert objective["kpis"][0]["key"] == acme_cascade.kpi.key
    assert objective["kpis"][0]["rag"] == "amber"


def test_kpis_filter_by_kind_team_owner_perspective_and_key_flag(acme, acme_cascade, key_client):
    KpiFactory(organization=acme.org, kind="lead", is_key=True, objective=acme_cascade.objective)
    client = key_client(acme, scope="read")

    def keys(query: str) -> int:
        return len(client.get(f"/api/v1/o/acme/kpis/?{query}").json()["results"])

    assert keys("") == 2
    assert keys("kind=lead") == 1
    assert keys("is_key=true") == 1
    assert keys("team=sales") == 2
    assert keys("team=support") == 0
    assert keys("perspective=financial") == 2
    assert keys("perspective=customer") == 0
    assert keys(f"owner={acme.lead.user.username}") == 1
    assert client.get("/api/v1/o/acme/kpis/?kind=banana").status_code == 400


def test_pagination_has_a_ceiling(acme, acme_cascade, key_client):
    client = key_client(acme, scope="read")
    response = client.get("/api/v1/o/acme/values/?limit=100000000")
    assert response.status_code == 200  # capped at the maximum page size, not refused
    assert client.get("/api/v1/o/acme/values/?from=yesterday").status_code == 400


def test_values_filter_by_kpi_and_dates(acme, acme_cascade, key_client):
    client = key_client(acme)
    body = {
        "values": [
            {"kpi": acme_cascade.kpi.key, "period_date": f"2026-0{m}-01", "value": m}
            for m in range(1, 5)
        ]
    }
    assert client.post("/api/v1/o/acme/values/bulk/", body, format="json").status_code == 200
    url = f"/api/v1/o/acme/values/?kpi={acme_cascade.kpi.key}&from=2026-02-01&to=2026-03-31&limit=1"
    first = client.get(url).json()
    assert [v["value"] for v in first["results"]] == [3.0]
    second = client.get(first["next"]).json()
    assert [v["value"] for v in second["results"]] == [2.0]
    assert second["next"] is None


def test_an_admin_key_creates_priorities_objectives_kpis_and_targets(acme, key_client):
    client = key_client(acme)
    priority = client.post(
        "/api/v1/o/acme/priorities/",
        {
            "title": "Grow",
            "perspective": "financial",
            "owner": acme.executive.user.username,
            "rank": 1,
            "horizon_start": "2026-01-01",
            "horizon_end": "2027-12-31",
        },
        format="json",
    )
    assert priority.status_code == 201, priority.json()
    objective = client.post(
        "/api/v1/o/acme/objectives/",
        {
            "title": "Pipeline",
            "team": "sales",
            "owner": acme.lead.user.username,
            "priority": priority.json()["id"],
            "period_kind": "quarter",
            "period_date": "2026-11-01",
        },
        format="json",
    )
    assert objective.status_code == 201, objective.json()
    kpi = client.post(
        "/api/v1/o/acme/kpis/",
        {
            "key": "pipeline",
            "name": "Pipeline",
            "kind": "lead",
            "objective": objective.json()["id"],
            "outcome_owner": acme.lead.user.username,
            "data_owner": acme.lead.user.username,
        },
        format="json",
    )
    assert kpi.status_code == 201, kpi.json()
    target = client.post(
        "/api/v1/o/acme/targets/",
        {"kpi": "pipeline", "period_start": "2026-10-01", "period_end": "2026-12-31", "value": 3},
        format="json",
    )
    assert target.status_code == 201, target.json()
    assert target.json()["amber_threshold"] == 2.7
    with org_scope(acme.org):
        assert StrategicPriority.objects.count() == 1
        assert Objective.objects.get().team == acme.sales
        assert Kpi.objects.get(key="pipeline").kind == "lead"
        assert Target.objects.get().value == 3


def test_service_rules_come_back_as_field_errors(acme, acme_cascade, key_client):
    client = key_client(acme)
    response = client.post(
        "/api/v1/o/acme/objectives/",
        {
            "title": "Orphan",
            "team": "sales",
            "owner": acme.lead.user.username,
            "period_kind": "quarter",
            "period_date": "2026-11-01",
        },
        format="json",
    )
    assert response.status_code == 400 and "priority" in response.json()
    response = client.post(
        "/api/v1/o/acme/targets/",
        {
            "kpi": acme_cascade.kpi.key,
            "period_start": "2026-10-01",
            "period_end": "2026-12-31",
            "value": "NaN",
        },
        format="json",
    )
    assert response.status_code == 400 and "value" in response.json()


def test_a_person_uses_the_api_with_their_session_and_role(acme, acme_cascade, client_for):
    viewer = client_for(acme.viewer)
    assert viewer.get("/api/v1/o/acme/kpis/").status_code == 200
    body = {"values": [{"kpi": acme_cascade.kpi.key, "period_date": "2026-10-01", "value": 1}]}
    response = viewer.post("/api/v1/o/acme/values/bulk/", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["errors"][0]["field"] == "kpi"
    lead = client_for(acme.lead)
    response = lead.post("/api/v1/o/acme/values/bulk/", body, content_type="application/json")
    assert response.status_code == 200 and response.json()["inserted"] == 1


def test_a_session_post_needs_the_csrf_token(acme, acme_cascade):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(acme.lead.user)
    body = {"values": [{"kpi": acme_cascade.kpi.key, "period_date": "2026-10-01", "value": 1}]}
    response = client.post("/api/v1/o/acme/values/bulk/", body, content_type="application/json")
    assert response.status_code == 403 and "CSRF" in response.json()["detail"]


def test_the_schema_and_docs_need_a_login_or_key(acme, client, key_client):
    assert client.get("/api/schema/").status_code == 401
    assert client.get("/api/docs/").status_code in (401, 403)
    keyed = key_client(acme, scope="read")
    assert keyed.get("/api/schema/").status_code == 200
    docs = keyed.get("/api/docs/")
    assert docs.status_code == 200 and b"cdn" not in docs.content.lower()


def test_patch_changes_only_the_objective_fields_sent(acme, acme_cascade, key_client):
    objective = acme_cascade.objective
    url = f"/api/v1/o/acme/objectives/{objective.pk}/"
    response = key_client(acme).patch(url, {"title": "Bigger pipeline"}, format="json")
    assert response.status_code == 200, response.json()
    body = response.json()
    assert body["title"] == "Bigger pipeline"
    assert body["team"] == "sales" and body["owner"] == acme.lead.user.username
    assert body["priority"] == str(acme_cascade.priority.pk)
    assert (body["period_start"], body["period_end"]) == ("2026-01-01", "2026-12-31")


def test_put_still_replaces_the_whole_objective(acme, acme_cascade, key_client):
    objective = acme_cascade.objective
    url = f"/api/v1/o/acme/objectives/{objective.pk}/"
    response = key_client(acme).put(url, {"title": "Only a title"}, format="json")
    assert response.status_code == 400
    assert {"team", "owner", "period_kind", "period_date"} <= set(response.json())


def test_patch_refuses_an_objective_of_another_organisation(acme, acme_cascade, globex, key_client):
    url = f"/api/v1/o/globex/objectives/{acme_cascade.objective.pk}/"
    response = key_client(globex).patch(url, {"title": "Mine now"}, format="json")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("path", "body"),
    [
        (
            "priorities",
            {
                "title": "Grow",
                "perspective": "financial",
                "owner": "evelyn",
                "rank": 1,
                "horizon_start": "2026-01-01",
                "horizon_end": "2027-12-31",
            },
        ),
        (
            "objectives",
            {
                "title": "Pipeline",
                "team": "sales",
                "owner": "lena",
                "priority": None,
                "period_kind": "quarter",
                "period_date": "2026-11-01",
            },
        ),
    ],
)
def test_a_retried_priority_or_objective_post_creates_it_once(
    acme, acme_cascade, key_client, path, body
):
    if path == "objectives":
        body = {**body, "priority": str(acme_cascade.priority.pk)}
    client = key_client(acme)
    first = client.post(f"/api/v1/o/acme/{path}/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    again = client.post(f"/api/v1/o/acme/{path}/", body, format="json", HTTP_IDEMPOTENCY_KEY="k1")
    assert first.status_code == again.status_code == 201, first.json()
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.json()["id"] == first.json()["id"]


def test_every_post_replays_its_first_answer_under_an_idempotency_key(
    acme, acme_cascade, key_client
):
    """Answers hold ids and dates; the replay must be the very JSON first sent, never a 500."""
    client = key_client(acme)
    kpi = {
        "key": "pipeline",
        "name": "Pipeline",
        "kind": "lead",
        "objective": str(acme_cascade.objective.pk),
        "outcome_owner": acme.lead.user.username,
        "data_owner": acme.lead.user.username,
    }
    target = {"kpi": "pipeline", "period_start": "2026-10-01", "period_end": "2026-12-31"}
    for url, body in (("kpis/", kpi), ("targets/", {**target, "value": 3})):
        first = client.post(f"/api/v1/o/acme/{url}", body, format="json", HTTP_IDEMPOTENCY_KEY=url)
        again = client.post(f"/api/v1/o/acme/{url}", body, format="json", HTTP_IDEMPOTENCY_KEY=url)
        assert first.status_code == again.status_code == 201, first.content
        assert again.json() == first.json() and again["Idempotent-Replayed"] == "true"
