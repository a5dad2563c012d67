"""The people layer in the browser: a lead prepares a 1:1 from the points the data suggests,
gives praise, drafts an improvement plan on two KPIs; a people partner approves it; the member
signs it. The executive, the CFO and another lead see none of it."""

from __future__ import annotations

import datetime as dt

import pytest

from perfmgmt.models import Role
from reviews.people import services
from tests.conftest import _member
from tests.e2e.conftest import log_in
from tests.factories import KpiFactory, MetricValueFactory, ObjectiveFactory, TargetFactory

pytestmark = [pytest.mark.e2e, pytest.mark.django_db(transaction=True)]

NOTE = "Lena's own note: ask about the Brauer deal"
PRAISE = "Brilliant turnaround on the Brauer renewal"
CONCERNS = "Qualified opportunities below target three months running"


def _sams_kpis(acme):
    objective = ObjectiveFactory(organization=acme.org, team=acme.sales, owner=acme.member.user)
    kpis = []
    for name, values in (("Qualified opportunities", (70, 60)), ("Demos booked", (8, 7))):
        kpi = KpiFactory(
            organization=acme.org, objective=objective, outcome_owner=acme.member.user, name=name
        )
        TargetFactory(kpi=kpi, value=100, green_threshold=100, amber_threshold=90)
        for month, value in zip((10, 11), values, strict=True):
            MetricValueFactory(kpi=kpi, period_date=dt.date(2026, month, 1), value=value)
        kpis.append(kpi)
    return kpis


def _switch(page, username: str) -> None:
    page.context.clear_cookies()
    log_in(page, username)
    page.wait_for_url("**/o/acme/**")


def test_a_plan_goes_from_the_lead_to_the_partner_to_the_member_and_nowhere_else(
    acme, page, screenshot
):
    first, second = _sams_kpis(acme)
    partner = _member(acme.org, "pia", Role.MEMBER)
    services.people_partner_grant(org=acme.org, actor=acme.admin, member=partner)
    other_lead = _member(acme.org, "otto", Role.LEAD, acme.support)

    # The lead plans a 1:1 and takes a talking point the data suggests.
    _switch(page, "lena")
    page.goto("/o/acme/people/")
    page.get_by_role("link", name="Plan a 1:1").click()
    page.get_by_label("With").select_option(value=str(acme.member.pk))
    page.get_by_label("Date").fill("2026-12-07")
    page.get_by_role("button", name="Plan the 1:1").click()
    page.wait_for_url("**/people/one-on-ones/**")
    meeting_url = page.url
    suggestions = page.locator("#suggestions")
    point = f"KPI {first.name}: red"
    suggestions.get_by_role("button", name=f"Add to agenda: {point}", exact=False).first.click()
    page.locator("#agenda").get_by_text(point, exact=False).wait_for()
    page.get_by_label("My private notes").fill(NOTE)
    page.get_by_role("button", name="Save my notes").click()
    page.wait_for_load_state()
    screenshot("one-on-one-prepared")

    # Praise, for the person and their lead only.
    page.goto("/o/acme/people/recognition/")
    form = page.locator("#give-recognition")
    form.get_by_label("Who to recognise").select_option(value=str(acme.member.user.pk))
    form.get_by_label("What they did").fill(PRAISE)
    form.get_by_label("KPI").select_option(value=str(first.pk))
    form.get_by_label("The person and their lead").check()
    form.get_by_role("button", name="Give recognition").click()
    page.locator("#recognition-feed").get_by_text(PRAISE).wait_for()

    # The plan, with two expectations on KPIs Sam owns.
    page.goto("/o/acme/people/")
    page.get_by_role("link", name="Draft an improvement plan").click()
    page.get_by_label("Person").select_option(value=str(acme.member.pk))
    page.get_by_label("Concerns").fill(CONCERNS)
    page.get_by_label("Support and coaching").fill("Weekly pipeline coaching with Lena")
    page.get_by_label("Consequences").fill("A formal performance review")
    page.get_by_label("Start date").fill("2026-12-01")
    page.get_by_label("Duration").select_option("60")
    page.get_by_label("Expectation 1: KPI").select_option(value=str(first.pk))
    page.get_by_label("Expectation 1: target by the end date").fill("100")
    page.get_by_label("Expectation 2: KPI").select_option(value=str(second.pk))
    page.get_by_label("Expectation 2: target by the end date").fill("10")
    page.get_by_role("button", name="Save the draft").click()
    page.wait_for_url("**/people/plans/**")
    plan_url = page.url
    assert "Draft" in page.locator("#plan-state").inner_text()
    expectations = page.locator("#plan-expectations").inner_text()
    assert first.name in expectations and second.name in expectations
    screenshot("plan-drafted")

    # The people partner approves it.
    _switch(page, "pia")
    page.goto(plan_url)
    page.get_by_role("button", name="Approve and publish the plan").click()
    page.locator("#plan-state").get_by_text("Published, awaiting signature").wait_for()

    # The member signs it, and sees the praise but not the lead's note.
    _switch(page, "sam")
    page.goto("/o/acme/people/")
    page.locator("#plans").get_by_role("link").first.click()
    page.get_by_role("button", name="Sign to acknowledge version 1").click()
    page.locator("#plan-state").get_by_text("Acknowledged").wait_for()
    screenshot("plan-signed")
    page.goto(meeting_url)
    assert point in page.locator("#agenda").inner_text()
    assert NOTE not in page.content()
    page.goto("/o/acme/people/recognition/")
    assert PRAISE in page.content()

    # The executive, the CFO and another lead see none of it.
    for username in (acme.executive.user.username, acme.finance.user.username, "otto"):
        _switch(page, username)
        for url in (plan_url, meeting_url):
            response = page.goto(url)
            assert response.status == 404, (username, url)
        for url in ("/o/acme/people/", "/o/acme/people/recognition/", "/o/acme/dashboard/"):
            page.goto(url)
            html = page.content()
            assert CONCERNS not in html and PRAISE not in html and NOTE not in html, url
        page.goto("/o/acme/people/")
        assert "No improvement plan you may see." in page.locator("#plans").inner_text()
    assert other_lead.team == acme.support  # leads a team, but not Sam's
