from __future__ import annotations

import pytest

from reviews.forms import CheckInForm
from reviews.models import LOW_CONFIDENCE, CheckIn


@pytest.mark.parametrize(("confidence", "low"), [(0, True), (4, True), (5, False), (10, False)])
def test_low_confidence_is_four_or_less(confidence, low):
    assert LOW_CONFIDENCE == 4
    assert CheckIn(confidence=confidence).is_low_confidence is low


def test_the_checkin_form_says_when_a_reason_is_required():
    help_text = CheckInForm(kpis=[]).fields["reason"].help_text
    assert help_text == "Required when confidence is 4 or less, or when off track."
