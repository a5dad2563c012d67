from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator

pytestmark = pytest.mark.django_db

KPIS = "/api/v1/o/acme/kpis/"


@pytest.fixture(scope="module")
def schema() -> dict:
    return SchemaGenerator().get_schema(request=None, public=True)


def test_list_endpoints_document_the_cursor_envelope_and_page_parameters(schema) -> None:
    for name in ["kpis", "targets", "values", "priorities", "objectives"]:
        operation = schema["paths"][f"/api/v1/o/{{org_slug}}/{name}/"]["get"]
        ref = operation["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        envelope = schema["components"]["schemas"][ref.rsplit("/", 1)[1]]
        assert set(envelope["properties"]) == {"next", "previous", "results"}
        parameters = {p["name"]: p for p in operation["parameters"]}
        assert {"cursor", "limit"} <= set(parameters)
        assert "at most" in parameters["limit"]["description"]


def test_every_operation_documents_its_errors(schema) -> None:
    for operations in schema["paths"].values():
        for method, operation in operations.items():
            assert {"400", "401", "404", "429"} <= set(operation["responses"]), method
            if method != "get":
                assert {"403", "413", "415"} <= set(operation["responses"])
    bulk = schema["paths"]["/api/v1/o/{org_slug}/values/bulk/"]["post"]["responses"]
    assert "Retry-After" in bulk["503"]["headers"]
    assert {"409", "422"} <= set(bulk)


@pytest.mark.parametrize(
    "query",
    ["is_key=banana", "is_key=", "kind=foo", "limit=abc", "limit=0", "team=%00"],
)
def test_a_bad_filter_value_is_a_400_naming_the_parameter(acme, key_client, query) -> None:
    response = key_client(acme, scope="read").get(f"{KPIS}?{query}")
    assert response.status_code == 400
    assert query.split("=")[0] in response.json()


def test_the_boolean_filter_still_filters(acme, acme_cascade, key_client) -> None:
    client = key_client(acme, scope="read")
    assert client.get(f"{KPIS}?is_key=false").status_code == 200
    assert client.get(f"{KPIS}?is_key=1").status_code == 200


@pytest.mark.parametrize(("query", "name"), [("from=notadate", "from"), ("kpi=nope", "kpi")])
def test_values_filters_are_strict(acme, key_client, query, name) -> None:
    response = key_client(acme, scope="read").get(f"/api/v1/o/acme/values/?{query}")
    assert response.status_code == 400 and name in response.json()


@pytest.mark.parametrize("day", ["0001-01-01", "2200-01-01", "1899-12-31", "2026-1-5", "20260105"])
def test_a_date_outside_the_window_is_a_400_not_stored(acme, acme_cascade, key_client, day) -> None:
    client = key_client(acme)
    body = {
        "kpi": acme_cascade.kpi.key,
        "period_start": day,
        "period_end": "2026-12-31",
        "value": 1,
    }
    response = client.post("/api/v1/o/acme/targets/", body, format="json")
    assert response.status_code == 400 and "period_start" in response.json()


def test_an_unknown_api_url_is_a_json_404(acme, key_client) -> None:
    response = key_client(acme).patch("/api/v1/o/acme/kpis/not-a-uuid/", {}, format="json")
    assert response.status_code == 404 and response.json() == {"detail": "Not found."}
