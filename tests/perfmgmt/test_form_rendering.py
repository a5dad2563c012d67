"""Every form renders its fields one way (templates/forms/): label above the control, optional
fields marked, hint and error below it and tied to it, sensible widgets."""

from __future__ import annotations

import re

import pytest

from metrics.forms import ValueForm
from perfmgmt.forms import OrganizationSettingsForm

pytestmark = pytest.mark.django_db


def test_a_field_has_its_label_first_and_its_hint_and_error_tied_to_it(acme):
    form = OrganizationSettingsForm(
        {"name": "", "timezone": "Mars/Olympus", "fiscal_year_start_month": "4"},
        instance=acme.org,
    )
    assert not form.is_valid()
    html = str(form)
    name = html[html.index('<div class="field has-error">') :]
    assert name.index('<label for="id_name">Name</label>') < name.index('<input type="text"')
    assert 'aria-invalid="true"' in name.split("</div>")[0]
    assert re.search(r'aria-describedby="id_name_error"', html)
    assert 'id="id_name_error"' in html  # the error list the control points at
    # The hint follows the control and is announced with it.
    assert re.search(r'<select name="timezone"[^>]*aria-describedby="id_timezone_helptext', html)
    assert html.index('name="timezone"') < html.index('id="id_timezone_helptext"')
    assert 'Slack webhook URL <span class="optional">(optional)</span>' in html


def test_time_zones_are_a_grouped_choice_and_months_have_names(acme):
    html = str(OrganizationSettingsForm(instance=acme.org))
    assert '<optgroup label="Europe">' in html
    assert '<option value="Europe/Berlin">Berlin</option>' in html
    assert '<option value="4">April</option>' in html
    assert "Fiscal year starts in" in html and "Check-in day" in html


def test_a_number_shows_its_unit_after_the_control(acme, acme_cascade):
    acme_cascade.kpi.unit = "meetings"
    html = str(ValueForm(kpi=acme_cascade.kpi))
    assert re.search(
        r'<span class="with-unit"><input type="number" name="value"[^>]*>\s*'
        r'<span class="unit" aria-hidden="true">meetings</span>',
        html,
    )
    assert "Value (meetings)</label>" in html
