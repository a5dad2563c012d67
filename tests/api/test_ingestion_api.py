"""The bulk endpoint: all-or-nothing batches, bad input named by row and field, retries."""

from __future__ import annotations

import json

import pytest

from metrics.models import MetricValue
from perfmgmt.history import object_history
from perfmgmt.models import IdempotencyRecord
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory

BULK = "/api/v1/o/acme/values/bulk/"


def count(world) -> int:
    with org_scope(world.org):
        return MetricValue.objects.count()


@pytest.fixture
def weekly(acme, acme_cascade):
    return KpiFactory(organization=acme.org, key="weekly", cadence="weekly")


def post_raw(client, text: str, **headers):
    return client.post(BULK, data=text, content_type="application/json", **headers)


def good_rows(n: int, key: str = "weekly", start: int = 0) -> list[dict]:
    import datetime as dt

    monday = dt.date(2026, 11, 16)
    return [
        {
            "kpi": key,
            "period_date": (monday - dt.timedelta(weeks=i + start)).isoformat(),
            "value": i,
        }
        for i in range(n)
    ]


@pytest.mark.parametrize(
    ("row_json", "field"),
    [
        ('{"kpi": "weekly", "period_date": "2026-11-09", "value": NaN}', "value"),
        ('{"kpi": "weekly", "period_date": "2026-11-09", "value": Infinity}', "value"),
        ('{"kpi": "weekly", "period_date": "2026-11-09", "value": -Infinity}', "value"),
        ('{"kpi": "weekly", "period_date": "2026-11-09", "value": 1e400}', "value"),
        ('{"kpi": "weekly", "period_date": "2026-11-09", "value": "12"}', "value"),
        ('{"kpi": "weekly", "period_date": "2026-11-09"}', "value"),
        ('{"kpi": "weekly", "value": 1}', "period_date"),
        ('{"period_date": "2026-11-09", "value": 1}', "kpi"),
        ('{"kpi": "weekly", "period_date": "2026-02-30", "value": 1}', "period_date"),
        ('{"kpi": "weekly", "period_date": "1066-10-14", "value": 1}', "period_date"),
        ('{"kpi": "weekly", "period_date": "3026-01-01", "value": 1}', "period_date"),
        ('{"kpi": "no-such-kpi", "period_date": "2026-11-09", "value": 1}', "kpi"),
        (
            '{"kpi": "weekly", "period_date": "2026-11-09", "value": 1, "confidence": "sure"}',
            "confidence",
        ),
        ('{"kpi": "weekly", "period_date": "2026-11-09", "value": 1, "colour": "red"}', "colour"),
        ('{"kpi": "weekly", "period_date": "2026-11-10", "value": 1}', "period_date"),  # same week
        ('"just a string"', "values"),
    ],
)
def test_a_bad_row_rejects_the_batch_and_is_named(acme, weekly, key_client, row_json, field):
    client = key_client(acme)
    before = count(acme)
    first = '{"kpi": "weekly", "period_date": "2026-11-09", "value": 1}'
    body = f'{{"values": [{first}, {row_json}]}}'
    response = post_raw(client, body)
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert [(e["row"], e["field"]) for e in errors] == [(1, field)], errors
    assert count(acme) == before


def test_every_bad_row_of_a_batch_is_named_in_one_answer(acme, weekly, globex_cascade, key_client):  # noqa: E501
    good = '{"kpi": "weekly", "period_date": "2026-11-09", "value": 1}'
    bad = [
        ('{"kpi": "weekly", "period_date": "2026-10-05", "value": NaN}', "value"),
        ('{"kpi": "weekly", "period_date": "2026-10-12", "value": Infinity}', "value"),
        ('{"kpi": "weekly", "period_date": "2026-10-19", "value": "1e400"}', "value"),
        ('{"kpi": "weekly", "period_date": "2026-10-26", "value": 1e400}', "value"),
        (f'{{"kpi": "{globex_cascade.kpi.pk}", "period_date": "2026-11-02", "value": 1}}', "kpi"),
        ('{"kpi": "weekly", "period_date": "not-a-date", "value": 1}', "period_date"),
        ('{"kpi": "weekly", "period_date": "9999-12-31", "value": 1}', "period_date"),
        ('{"kpi": "weekly", "period_date": "2026-09-07", "value": 1, "extra": 1}', "extra"),
        ('{"kpi": "weekly", "period_date": "2026-09-14"}', "value"),
        ("[1, 2]", "values"),
    ]
    body = '{"values": [' + ", ".join([good] + [row for row, _ in bad]) + "]}"
    response = post_raw(key_client(acme), body)
    assert response.status_code == 400
    answer = response.json()
    assert [(e["row"], e["field"]) for e in answer["errors"]] == [
        (index, field) for index, (_, field) in enumerate(bad, start=1)
    ]
    assert (answer["error_count"], answer["truncated"]) == (len(bad), False)
    assert count(acme) == 1


def test_a_row_can_carry_several_faults_and_all_are_named(acme, weekly, key_client):
    body = {"values": [{"kpi": "nope", "period_date": "someday", "colour": "red"}]}
    response = key_client(acme).post(BULK, body, format="json")
    fields = sorted(e["field"] for e in response.json()["errors"])
    assert fields == ["colour", "kpi", "period_date", "value"]


def test_reported_errors_are_capped_and_counted(acme, weekly, key_client):
    from metrics.ingestion import MAX_REPORTED_ERRORS

    rows = [{"kpi": "weekly", "period_date": "bad", "value": 1}] * (MAX_REPORTED_ERRORS + 5)
    answer = key_client(acme).post(BULK, {"values": rows}, format="json").json()
    assert len(answer["errors"]) == MAX_REPORTED_ERRORS
    assert (answer["error_count"], answer["truncated"]) == (MAX_REPORTED_ERRORS + 5, True)
    assert answer["errors"][-1]["row"] == MAX_REPORTED_ERRORS - 1


@pytest.mark.parametrize(
    "measured_at",
    [
        "0001-01-01T00:00:00+01:00",
        "9999-12-31T23:00:00-05:00",
        "1899-12-31T23:59:59Z",
        "2200-01-01T00:00:00Z",
    ],
)
def test_a_timestamp_outside_the_window_is_refused(acme, weekly, key_client, measured_at):
    row = {"kpi": "weekly", "period_date": "2026-11-09", "value": 1, "measured_at": measured_at}
    response = key_client(acme).post(BULK, {"values": [row]}, format="json")
    assert response.status_code == 400
    assert [(e["row"], e["field"]) for e in response.json()["errors"]] == [(0, "measured_at")]
    assert count(acme) == 1
    assert key_client(acme).get("/api/v1/o/acme/values/").status_code == 200


def test_a_foreign_kpi_is_unknown_here(acme, weekly, globex_cascade, key_client):
    body = {
        "values": [{"kpi": str(globex_cascade.kpi.pk), "period_date": "2026-11-09", "value": 1}]
    }
    response = key_client(acme).post(BULK, body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "row": 0,
            "field": "kpi",
            "message": f"no KPI {str(globex_cascade.kpi.pk)!r} in this organisation",
        }
    ]


def test_a_body_that_is_not_json_is_refused(acme, weekly, key_client):
    response = post_raw(key_client(acme), '{"values": [')
    assert response.status_code == 400 and "JSON" in response.json()["detail"]


def test_a_body_over_the_limit_is_413(acme, weekly, key_client, settings):
    settings.API_MAX_BODY_BYTES = 1000
    body = json.dumps({"values": good_rows(50)})
    response = post_raw(key_client(acme), body)
    assert response.status_code == 413
    assert count(acme) == 1


def test_more_values_than_a_batch_may_hold_are_refused(acme, weekly, key_client, settings):
    settings.API_MAX_BATCH = 10
    response = key_client(acme).post(BULK, {"values": good_rows(11)}, format="json")
    assert response.status_code == 400 and "values" in response.json()
    assert count(acme) == 1


def test_the_same_batch_three_times_stores_it_once(acme, weekly, key_client):
    client = key_client(acme)
    body = {"values": good_rows(30)}
    results = [client.post(BULK, body, format="json").json() for _ in range(3)]
    assert [r["inserted"] for r in results] == [30, 0, 0]
    assert [r["unchanged"] for r in results] == [0, 30, 30]
    assert count(acme) == 31


def test_fifty_thousand_values_twice_are_fifty_thousand_values(acme, acme_cascade, key_client):
    kpis = [
        KpiFactory(
            organization=acme.org, key=f"k{i}", cadence="weekly", objective=acme_cascade.objective
        )
        for i in range(100)
    ]
    rows = [row for kpi in kpis for row in good_rows(500, key=kpi.key)]
    assert len(rows) == 50_000
    client = key_client(acme)
    first = client.post(BULK, {"values": rows}, format="json")
    second = client.post(BULK, {"values": rows}, format="json")
    assert first.status_code == second.status_code == 200
    assert (first.json()["inserted"], second.json()["unchanged"]) == (50_000, 50_000)
    assert count(acme) == 50_001


def test_a_changed_value_is_updated_and_its_history_kept(acme, weekly, key_client):
    client = key_client(acme)
    client.post(
        BULK,
        {"values": [{"kpi": "weekly", "period_date": "2026-11-09", "value": 1}]},
        format="json",
    )
    response = client.post(
        BULK,
        {
            "values": [
                {"kpi": "weekly", "period_date": "2026-11-11", "value": 2, "confidence": "audited"}
            ]
        },
        format="json",
    )
    assert response.json()["updated"] == 1
    with org_scope(acme.org):
        stored = MetricValue.objects.get(kpi=weekly)
    update, insert = object_history(org=acme.org, model=MetricValue, object_id=stored.pk)
    moved = {f.name: (f.old, f.new) for f in update.fields}
    assert insert.action == "insert" and update.action == "update"
    assert moved["value"] == (1, 2) and moved["confidence"] == ("preliminary", "audited")
    assert update.actor_kind == "api key"


def test_an_idempotency_key_replays_the_first_response(acme, weekly, key_client):
    client = key_client(acme)
    body = {"values": good_rows(3)}
    first = client.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    again = client.post(BULK, body, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    assert (
        first.json() == again.json() == {"received": 3, "inserted": 3, "updated": 0, "unchanged": 0}
    )
    assert again["Idempotent-Replayed"] == "true"


def test_an_idempotency_key_with_another_body_is_422(acme, weekly, key_client):
    client = key_client(acme)
    client.post(BULK, {"values": good_rows(3)}, format="json", HTTP_IDEMPOTENCY_KEY="batch-1")
    response = client.post(
        BULK, {"values": good_rows(4)}, format="json", HTTP_IDEMPOTENCY_KEY="batch-1"
    )
    assert response.status_code == 422
    assert count(acme) == 4


def test_an_idempotency_key_still_in_progress_is_409(acme, weekly, key_client):
    client = key_client(acme)
    body = json.dumps({"values": good_rows(3)})
    client.post(BULK, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k")
    with org_scope(acme.org):
        IdempotencyRecord.objects.update(response_status=None, response_body=None)
    response = client.post(
        BULK, data=body, content_type="application/json", HTTP_IDEMPOTENCY_KEY="k"
    )
    assert response.status_code == 409


def test_the_api_is_rate_limited_per_key(acme, weekly, key_client, settings):
    settings.API_THROTTLE_RATE = "3/minute"
    client = key_client(acme, scope="read")
    statuses = [client.get("/api/v1/o/acme/kpis/").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    limited = client.get("/api/v1/o/acme/kpis/")
    assert int(limited["Retry-After"]) > 0
    # Another key has its own budget.
    assert key_client(acme, scope="read").get("/api/v1/o/acme/kpis/").status_code == 200


def test_one_value_can_be_posted_on_its_own(acme, weekly, key_client):
    response = key_client(acme).post(
        "/api/v1/o/acme/values/",
        {
            "kpi": "weekly",
            "period_date": "2026-11-12",
            "value": 7.5,
            "measured_at": "2026-11-12T08:00:00Z",
        },
        format="json",
    )
    assert response.status_code == 200 and response.json()["inserted"] == 1
    with org_scope(acme.org):
        assert MetricValue.objects.get(kpi=weekly).period_date.isoformat() == "2026-11-09"


def test_an_error_answer_echoing_a_nul_is_not_remembered(acme, weekly, key_client):
    client = key_client(acme)
    body = {"values": [{"kpi": weekly.key, "period_date": "2026-01-05", "value": 1, "a\x00": 1}]}
    response = client.post(
        "/api/v1/o/acme/values/bulk/", body, format="json", HTTP_IDEMPOTENCY_KEY="nul"
    )
    assert response.status_code == 400
    with org_scope(acme.org):
        assert not IdempotencyRecord.objects.filter(key="nul").exists()


def test_values_targets_and_the_kpi_filter_name_a_kpi_the_same_way(acme, acme_cascade, key_client):
    kpi = acme_cascade.kpi
    client = key_client(acme)
    upper = str(kpi.pk).upper()
    value = client.post(
        "/api/v1/o/acme/values/",
        {"kpi": upper, "period_date": "2026-07-01", "value": 1},
        format="json",
    )
    assert value.status_code == 200, value.json()
    target = client.post(
        "/api/v1/o/acme/targets/",
        {"kpi": upper, "period_start": "2027-01-01", "period_end": "2027-12-31", "value": 3},
        format="json",
    )
    assert target.status_code == 201, target.json()
    listed = client.get(f"/api/v1/o/acme/values/?kpi={upper}")
    assert {row["kpi"] for row in listed.json()["results"]} == {str(kpi.pk)}
