from __future__ import annotations

import datetime as dt

import pytest

from metrics.ingestion import (
    BatchRejected,
    ColumnMap,
    RawValue,
    RowError,
    metric_value_record,
    values_from_csv,
    values_from_objects,
    values_ingest,
)
from metrics.models import MetricValue
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory


def stored(org):
    with org_scope(org):
        return sorted(MetricValue.objects.values_list("kpi__key", "period_date", "value"))


@pytest.fixture
def kpis(acme, acme_cascade):
    weekly = KpiFactory(organization=acme.org, key="weekly", cadence="weekly")
    return acme_cascade.kpi, weekly


def test_a_batch_is_upserted_and_a_replay_changes_nothing(acme, kpis):
    monthly, weekly = kpis
    rows = [
        RawValue(kpi=weekly.key, period_date="2026-11-02", value=10),
        RawValue(kpi=str(weekly.pk), period_date="2026-11-09", value=11.5),
    ]
    first = values_ingest(org=acme.org, rows=rows, source="api")
    before = stored(acme.org)
    again = values_ingest(org=acme.org, rows=rows, source="api")
    assert (first.inserted, first.updated) == (2, 0)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, 2)
    assert stored(acme.org) == before


def test_a_changed_value_updates_the_same_row(acme, kpis):
    _, weekly = kpis
    values_ingest(
        org=acme.org, rows=[RawValue(kpi="weekly", period_date="2026-11-02", value=1)], source="api"
    )
    result = values_ingest(
        org=acme.org, rows=[RawValue(kpi="weekly", period_date="2026-11-04", value=2)], source="api"
    )
    assert result.updated == 1
    # Any day of the week is filed under its Monday.
    assert [row for row in stored(acme.org) if row[0] == "weekly"] == [
        ("weekly", dt.date(2026, 11, 2), 2.0)
    ]


def test_an_older_measurement_never_overwrites_a_newer_one(acme, kpis):
    newer = RawValue(
        kpi="weekly", period_date="2026-11-02", value=5, measured_at="2026-11-03T10:00:00Z"
    )
    older = RawValue(
        kpi="weekly", period_date="2026-11-02", value=4, measured_at="2026-11-02T10:00:00Z"
    )
    values_ingest(org=acme.org, rows=[newer], source="api")
    result = values_ingest(org=acme.org, rows=[older], source="api")
    assert result.unchanged == 1
    assert ("weekly", dt.date(2026, 11, 2), 5.0) in stored(acme.org)


BAD_ROWS = [
    ({"value": float("nan")}, "value"),
    ({"value": float("inf")}, "value"),
    ({"value": float("-inf")}, "value"),
    ({"value": 10**400}, "value"),
    ({"value": "12"}, "value"),
    ({"value": None}, "value"),
    ({"value": True}, "value"),
    ({"period_date": "2026-13-01"}, "period_date"),
    ({"period_date": "yesterday"}, "period_date"),
    ({"period_date": "0001-01-01"}, "period_date"),
    ({"period_date": "9999-12-31"}, "period_date"),
    ({"period_date": None}, "period_date"),
    ({"kpi": "no-such-kpi"}, "kpi"),
    ({"kpi": None}, "kpi"),
    ({"confidence": "certain"}, "confidence"),
    ({"measured_at": "2026-11-02T10:00:00"}, "measured_at"),
    ({"note": "x" * 501}, "note"),
]


@pytest.mark.parametrize(("change", "field"), BAD_ROWS)
def test_a_bad_row_rejects_the_whole_batch_and_names_itself(acme, kpis, change, field):
    good = {"kpi": "weekly", "period_date": "2026-11-02", "value": 1.0}
    rows = [RawValue(**good), RawValue(**{**good, "period_date": "2026-11-09", **change})]
    with pytest.raises(BatchRejected) as rejected:
        values_ingest(org=acme.org, rows=rows, source="api")
    assert [(e.index, e.field) for e in rejected.value.errors] == [(1, field)]
    assert stored(acme.org) == stored_before_ingest(acme)


def stored_before_ingest(world):
    """What the world held before the test wrote: the cascade fixture's one value."""
    with org_scope(world.org):
        return sorted(
            MetricValue.objects.filter(kpi__key__startswith="kpi-").values_list(
                "kpi__key", "period_date", "value"
            )
        )


def test_every_bad_row_is_reported(acme, kpis):
    rows = [
        RawValue(kpi="weekly", period_date="2026-11-02", value=float("nan")),
        RawValue(kpi="weekly", period_date="2026-11-09", value=1),
        RawValue(kpi="nope", period_date="bad", value="x"),
    ]
    with pytest.raises(BatchRejected) as rejected:
        values_ingest(org=acme.org, rows=rows, source="api")
    assert sorted((e.index, e.field) for e in rejected.value.errors) == [
        (0, "value"),
        (2, "kpi"),
        (2, "period_date"),
        (2, "value"),
    ]


def test_duplicate_rows_in_one_batch_are_rejected(acme, kpis):
    rows = [
        RawValue(kpi="weekly", period_date="2026-11-02", value=1),
        RawValue(kpi="weekly", period_date="2026-11-05", value=2),  # same week
    ]
    with pytest.raises(BatchRejected) as rejected:
        values_ingest(org=acme.org, rows=rows, source="api")
    assert [(e.index, e.field) for e in rejected.value.errors] == [(1, "period_date")]
    assert "duplicates row 0" in rejected.value.errors[0].message


def test_another_organisations_kpi_is_unknown(acme, kpis, globex_cascade):
    for ref in (globex_cascade.kpi.key, str(globex_cascade.kpi.pk)):
        with pytest.raises(BatchRejected) as rejected:
            values_ingest(
                org=acme.org,
                rows=[RawValue(kpi=ref, period_date="2026-11-02", value=1)],
                source="api",
            )
        assert rejected.value.errors[0].field == "kpi"
    with org_scope(globex_cascade.kpi.organization):
        assert MetricValue.objects.count() == 1


def test_a_viewer_cannot_record_a_value(acme, acme_cascade):
    with pytest.raises(BatchRejected) as rejected:
        metric_value_record(
            org=acme.org,
            actor=acme.viewer,
            kpi=acme_cascade.kpi,
            period_date=dt.date(2026, 7, 1),
            value=1,
        )
    assert rejected.value.errors[0].field == "kpi"


def test_the_owner_records_a_value_by_hand(acme, acme_cascade):
    value = metric_value_record(
        org=acme.org,
        actor=acme.lead,
        kpi=acme_cascade.kpi,
        period_date=dt.date(2026, 7, 15),
        value=42,
        confidence="estimate",
        note="from the CRM",
    )
    assert (value.period_date, value.value, value.confidence, value.source) == (
        dt.date(2026, 7, 1),
        42,
        "estimate",
        "manual",
    )
    assert value.recorded_by == acme.lead.user


def test_csv_rows_are_stripped_and_numbers_read():
    text = (
        "kpi,period_date,value,confidence,note\n rev , 2026-07-01 , 80 , , a note \nrev,x,abc,,\n"
    )
    rows, errors = values_from_csv(text)
    assert errors == []
    assert rows == [
        RawValue(kpi="rev", period_date="2026-07-01", value=80.0, note="a note"),
        RawValue(kpi="rev", period_date="x", value="abc"),
    ]


def test_csv_rows_follow_a_column_mapping_and_name_missing_columns_per_row():
    mapped = ColumnMap(kpi="metric", period_date="week", value="count", confidence=None)
    text = "metric,week,count,confidence\nrev,2026-07-01,3,final\n"
    rows, errors = values_from_csv(text, columns=mapped)
    assert rows == [RawValue(kpi="rev", period_date="2026-07-01", value=3.0)]
    rows, errors = values_from_csv("metric,count\nrev,1\nrev,2\n", columns=mapped)
    assert rows == [None, None]
    assert errors == [RowError(i, "columns", "no column week") for i in (0, 1)]


def test_a_csv_row_and_a_json_object_make_the_same_value():
    from_csv, _ = values_from_csv("kpi,period_date,value\nrev,2026-07-01,5\n")
    from_json, _ = values_from_objects([{"kpi": "rev", "period_date": "2026-07-01", "value": 5.0}])
    assert from_csv == from_json


def test_a_csv_import_of_another_organisations_kpi_is_refused(acme, acme_cascade, globex):
    rows, errors = values_from_csv(f"kpi,period_date,value\n{acme_cascade.kpi.key},2026-07-01,5\n")
    with pytest.raises(BatchRejected) as rejected:
        values_ingest(org=globex.org, rows=rows, source="import", errors=errors)
    assert rejected.value.errors[0].field == "kpi"
