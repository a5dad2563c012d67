from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from tests.e2e.conftest import log_in

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]


def test_the_lead_checks_in_from_what_they_owe_without_a_reload(
    acme, acme_cascade, page, screenshot
):  # noqa: E501
    objective = acme_cascade.objective
    today = timezone.localdate()
    objective.period_start, objective.period_end = (
        today - dt.timedelta(days=30),
        today + dt.timedelta(days=30),
    )
    objective.save()

    log_in(page, acme.lead.user.username)
    page.goto("/o/acme/owe/")
    screenshot("what-i-owe")
    page.get_by_role("link", name=f"Check in: {objective.title}").click()
    page.wait_for_url("**/o/acme/checkins/**")
    page.evaluate("window.__sameDocument = true")

    card = page.locator(f"#checkin-{objective.pk}")
    card.get_by_label("At risk").check()
    card.get_by_label("Progress (%)").fill("35")
    card.get_by_label("Confidence (0–10)").fill("2")
    card.get_by_role("button", name="Submit check-in").click()
    card = page.locator(f"#checkin-{objective.pk}")
    card.get_by_text("Say why").wait_for()
    screenshot("reason-demanded")

    card.get_by_label("Reason").fill("Two enterprise deals slipped to January")
    card.get_by_role("button", name="Submit check-in").click()
    page.locator(f"#checkin-{objective.pk}").get_by_text("Check-in saved.").wait_for()
    history = page.locator(f"#checkin-{objective.pk} .timeline")
    assert "Why: Two enterprise deals slipped to January" in history.inner_text()
    assert "confidence 2/10" in history.inner_text()
    # The same document all along: htmx swapped the card, the page never reloaded.
    assert page.evaluate("window.__sameDocument") is True
    screenshot("checked-in")
