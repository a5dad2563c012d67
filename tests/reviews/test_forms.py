from __future__ import annotations

from reviews.forms import CheckInForm
from reviews.services import KpiValueIn
from tests.factories import KpiFactory


def test_a_checkin_form_hands_the_service_its_fields_and_the_values_given(acme, acme_cascade):
    other = KpiFactory(organization=acme.org, objective=acme_cascade.objective)
    kpi = acme_cascade.kpi
    form = CheckInForm(
        {
            "status": "at_risk",
            "progress": "30",
            "confidence": "5",
            "reason": "",
            f"value_{kpi.key}": "101.5",
            f"value_{other.key}": "",
        },
        kpis=[kpi, other],
    )
    assert form.is_valid(), form.errors
    assert form.service_kwargs() == {
        "status": "at_risk",
        "progress": 30,
        "confidence": 5,
        "reason": "",
        "blockers": "",
        "next_steps": "",
        "values": [KpiValueIn(kpi=kpi, value=101.5)],
    }
