from __future__ import annotations

import pytest

from metrics.api import ValueInSchema
from metrics.forms import ValueForm
from metrics.ingestion import VALUE_FIELDS
from metrics.models import MetricValue, Target
from perfmgmt.tenancy import org_scope


def test_the_kpi_page_shows_values_targets_and_links(acme, acme_cascade, client_for):
    acme_cascade.kpi.unit = "meetings"
    acme_cascade.kpi.save()
    page = client_for(acme.viewer).get(f"/o/acme/kpis/{acme_cascade.kpi.pk}/").content.decode()
    assert acme_cascade.kpi.name in page
    assert '<td>1 Jun 2026</td><td class="num">95 meetings</td>' in page  # with its unit
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
    # What the form hands to ingestion carries the ingestion's names; its one other field is
    # the form's own: the confirmation of a value far outside the history.
    assert set(ValueForm.VALUE_NAMES) <= set(VALUE_FIELDS)
    assert set(ValueForm.base_fields) - set(ValueForm.VALUE_NAMES) == {"confirm"}
    assert tuple(ValueInSchema().fields) == VALUE_FIELDS


@pytest.fixture
def steady_history(acme, acme_cascade):
    """A year of monthly values around 12 meetings."""
    import datetime as dt

    from metrics.models import MetricValue
    from perfmgmt.tenancy import org_scope

    kpi = acme_cascade.kpi
    kpi.unit = "meetings"
    kpi.save()
    with org_scope(acme.org):
        MetricValue.objects.filter(kpi=kpi).delete()
        for month, value in enumerate([11, 12, 13, 12, 11, 12, 14, 12, 13, 12, 11, 12], start=1):
            MetricValue.objects.create(
                organization=acme.org,
                kpi=kpi,
                period_date=dt.date(2025, month, 1),
                value=value,
                confidence="reconciled",
            )
    return kpi


def test_the_value_form_shows_the_unit_the_last_value_and_a_default_period(
    acme, steady_history, client_for
):
    page = client_for(acme.lead).get(f"/o/acme/kpis/{steady_history.pk}/values/new/")
    html = page.content.decode()
    assert "Value (meetings)" in html
    assert "Last value: 12 meetings (reconciled) for the period starting 1 Dec 2025." in html
    assert 'name="period_date" value="' in html
    assert "Record value" in html


def test_a_value_far_outside_the_history_is_held_until_confirmed(acme, steady_history, client_for):
    from metrics.models import MetricValue
    from perfmgmt.tenancy import org_scope

    client = client_for(acme.lead)
    url = f"/o/acme/kpis/{steady_history.pk}/values/new/"
    data = {"period_date": "2026-01-15", "value": "30.95", "confidence": "preliminary"}
    held = client.post(url, data)
    assert held.status_code == 400
    message = (
        "30.95 meetings is far outside this KPI&#x27;s recent values (11 meetings–14 meetings)"
    )
    assert message in held.content.decode()
    assert 'type="checkbox" name="confirm"' in held.content.decode()
    with org_scope(acme.org):
        assert not MetricValue.objects.filter(kpi=steady_history, value=30.95).exists()
    done = client.post(url, {**data, "confirm": "on"}, follow=True)
    assert "Recorded 30.95 meetings for the monthly period starting 1 Jan 2026." in (
        done.content.decode()
    )
    usual = client.post(url, {**data, "period_date": "2026-02-03", "value": "13"})
    assert usual.status_code == 302  # an ordinary number needs no confirmation
