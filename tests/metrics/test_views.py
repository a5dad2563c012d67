from __future__ import annotations

from metrics.api import ValueInSchema
from metrics.forms import ValueForm
from metrics.ingestion import VALUE_FIELDS
from metrics.models import MetricValue, Target
from perfmgmt.tenancy import org_scope


def test_the_kpi_page_shows_values_targets_and_links(acme, acme_cascade, client_for):
    page = client_for(acme.viewer).get(f"/o/acme/kpis/{acme_cascade.kpi.pk}/").content.decode()
    assert acme_cascade.kpi.name in page
    assert "<td>1 Jun 2026</td><td>95</td>" in page
    assert "Record a value" not in page  # a viewer reads only


def test_the_data_owner_records_a_value_through_the_form(acme, acme_cascade, client_for):
    url = f"/o/acme/kpis/{acme_cascade.kpi.pk}/values/new/"
    response = client_for(acme.lead).post(
        url, {"period_date": "2026-08-14", "value": "88.5", "confidence": "reconciled"}
    )
    assert response.status_code == 302
    with org_scope(acme.org):
        value = MetricValue.objects.get(kpi=acme_cascade.kpi, period_date="2026-08-01")
    assert (value.value, value.confidence, value.recorded_by) == (
        88.5,
        "reconciled",
        acme.lead.user,
    )


def test_a_value_form_rejects_nan_and_writes_nothing(acme, acme_cascade, client_for):
    url = f"/o/acme/kpis/{acme_cascade.kpi.pk}/values/new/"
    for bad in ("nan", "inf", "1e400", "abc"):
        response = client_for(acme.lead).post(
            url, {"period_date": "2026-08-14", "value": bad, "confidence": "reconciled"}
        )
        assert response.status_code == 400, bad
        assert "value" in response.context["form"].errors
    with org_scope(acme.org):
        assert MetricValue.objects.count() == 1


def test_a_value_with_an_absurd_date_names_the_date(acme, acme_cascade, client_for):
    url = f"/o/acme/kpis/{acme_cascade.kpi.pk}/values/new/"
    response = client_for(acme.lead).post(
        url, {"period_date": "1700-01-01", "value": "1", "confidence": "reconciled"}
    )
    assert response.status_code == 400
    assert "period_date" in response.context["form"].errors


def test_a_viewer_cannot_record_values(acme, acme_cascade, client_for):
    url = f"/o/acme/kpis/{acme_cascade.kpi.pk}/values/new/"
    assert client_for(acme.viewer).get(url).status_code == 403


def test_finance_sets_a_target_through_the_form(acme, acme_cascade, client_for):
    url = f"/o/acme/kpis/{acme_cascade.kpi.pk}/target/"
    response = client_for(acme.finance).post(url, {"period": "quarter:2027-01-01", "value": "120"})
    assert response.status_code == 302
    with org_scope(acme.org):
        target = Target.objects.get(kpi=acme_cascade.kpi, period_start="2027-01-01")
    assert (target.value, target.green_threshold, target.amber_threshold) == (120, 120, 108)


def test_a_kpi_edit_keeps_the_key_unique(acme, acme_cascade, client_for):
    from tests.factories import KpiFactory

    other = KpiFactory(organization=acme.org, key="taken", objective=acme_cascade.objective)
    kpi = acme_cascade.kpi
    response = client_for(acme.admin).post(
        f"/o/acme/kpis/{kpi.pk}/edit/",
        {
            "key": other.key,
            "name": kpi.name,
            "kind": "lag",
            "cadence": "monthly",
            "direction": "higher",
            "aggregation": "last",
            "objective": kpi.objective_id,
            "outcome_owner": acme.lead.user.pk,
            "data_owner": acme.lead.user.pk,
        },
    )
    assert response.status_code == 400
    kpi.refresh_from_db()
    assert kpi.key != "taken"


def test_the_value_form_and_the_api_schema_name_the_ingestions_value_fields():
    assert set(ValueForm.base_fields) <= set(VALUE_FIELDS)
    assert tuple(ValueInSchema().fields) == VALUE_FIELDS
