from __future__ import annotations

import pytest

from reviews.forms import CheckInForm
from reviews.models import CHECKIN_FIELDS, LOW_CONFIDENCE, CheckIn


@pytest.mark.parametrize(("confidence", "low"), [(0, True), (4, True), (5, False), (10, False)])
def test_low_confidence_is_four_or_less(confidence, low):
    assert LOW_CONFIDENCE == 4
    assert CheckIn(confidence=confidence).is_low_confidence is low


def test_the_checkin_form_says_when_a_reason_is_required():
    help_text = CheckInForm(kpis=[]).fields["reason"].help_text
    assert help_text == "Required when confidence is 4 or less, or when off track."


def test_the_checkin_fields_are_what_the_form_asks_and_a_revision_keeps():
    assert [f.name for f in CheckInForm(kpis=[]).plain_fields()] == list(CHECKIN_FIELDS)
    checkin = CheckIn(status="at_risk", progress=40, confidence=3, reason="Late", next_steps="Hire")
    assert checkin.snapshot() == {
        "status": "at_risk",
        "progress": 40,
        "confidence": 3,
        "reason": "Late",
        "blockers": "",
        "next_steps": "Hire",
    }
    assert CheckInForm.initial_for(checkin) == checkin.snapshot()
