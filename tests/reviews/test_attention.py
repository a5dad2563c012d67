"""reviews.attention: the one definition of what needs attention, read by two pages."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from metrics.selectors import kpi_statuses
from perfmgmt.periods import current_week
from perfmgmt.tenancy import org_scope
from reviews.attention import Kind, deteriorating, kpi_attention, low_confidence
from reviews.dashboards import exceptions_get
from reviews.models import ReviewMeeting
from reviews.selectors import agenda_build
from reviews.services import checkin_submit
from tests.factories import KpiFactory, MetricValueFactory, TargetFactory


@pytest.mark.parametrize(
    ("values", "direction", "worse"),
    [
        ([30, 40, 50], "higher", True),
        ([50, 40, 30], "lower", True),
        ([30, 40, 50, 10], "higher", True),  # only the last three count
        ([30, 40, 40], "higher", False),  # level is not worse
        ([30, 40], "higher", False),  # too short to tell
        ([50, 40, 30], "higher", False),
    ],
)
def test_deteriorating_means_each_of_the_last_three_values_worse(values, direction, worse):
    assert deteriorating(values, direction) is worse


@pytest.fixture
def running(acme, acme_cascade):
    objective = acme_cascade.objective
    today = timezone.localdate()
    objective.period_start = today - dt.timedelta(days=400)
    objective.period_end = today + dt.timedelta(days=30)
    objective.save()
    return objective


def _kpi(world, objective, name, values):
    """A weekly KPI, target 100 (green at 100, amber at 90), with `values` oldest first."""
    kpi = KpiFactory(organization=world.org, name=name, objective=objective, cadence="weekly")
    TargetFactory(
        kpi=kpi,
        value=100,
        green_threshold=100,
        amber_threshold=90,
        period_start=objective.period_start,
        period_end=objective.period_end,
    )
    monday = current_week(world.org)
    for weeks_ago, value in enumerate(reversed(values)):
        MetricValueFactory(kpi=kpi, period_date=monday - dt.timedelta(weeks=weeks_ago), value=value)
    return kpi


def test_each_kind_is_found_once_and_read_by_both_pages(acme, running):
    _kpi(acme, running, "Sinking", [80, 70, 60])  # red, off target twice, deteriorating
    checkin_submit(
        org=acme.org,
        actor=acme.lead,
        objective=running,
        week_start=current_week(acme.org),
        status="at_risk",
        progress=10,
        confidence=3,
        reason="Budget cut",
    )
    listed = {(e.kind, e.title) for e in exceptions_get(org=acme.org).items}
    agenda = agenda_build(org=acme.org)
    on_agenda = (
        {(Kind.RED, i["title"]) for i in agenda.red_kpis}
        | {(Kind.OFF_TWICE, i["title"]) for i in agenda.off_twice_kpis}
        | {(Kind.DETERIORATING, i["title"]) for i in agenda.deteriorating_kpis}
        | {(Kind.STALE, i["title"]) for i in agenda.stale_kpis}
        | {(Kind.LOW_CONFIDENCE, i["title"]) for i in agenda.low_confidence}
    )
    assert listed == on_agenda
    assert {
        (Kind.RED, "Sinking"),
        (Kind.OFF_TWICE, "Sinking"),
        (Kind.DETERIORATING, "Sinking"),
        (Kind.LOW_CONFIDENCE, running.title),
    } <= listed


def test_the_exceptions_list_names_deteriorating_kpis(acme, running, client_for):
    _kpi(acme, running, "Sliding", [99, 95, 92])  # amber, so only deteriorating and off twice
    page = client_for(acme.executive).get("/o/acme/exceptions/").content.decode()
    row = page[page.index('class="exception-deteriorating"') :][:600]
    assert "Deteriorating" in row and "Sliding" in row
    assert "worse three periods running: 99 → 95 → 92" in row


def test_the_agenda_lists_kpis_off_target_twice(acme, running, client_for):
    _kpi(acme, running, "Lagging", [95, 92, 94])  # amber twice, not steadily worse
    agenda = agenda_build(org=acme.org)
    assert [i["title"] for i in agenda.off_twice_kpis] == ["Lagging"]
    assert agenda.deteriorating_kpis == []
    meeting = ReviewMeeting.objects.with_scopes_disabled().create(
        organization=acme.org,
        kind="monthly",
        held_on=timezone.localdate(),
        created_by=acme.executive.user,
        agenda=agenda.as_json(),
    )
    page = client_for(acme.executive).get(f"/o/acme/reviews/{meeting.pk}/").content.decode()
    assert "Missed target two periods running" in page and "Lagging" in page


def test_an_agenda_stored_before_off_target_twice_still_shows(acme, client_for):
    old = {
        "red_kpis": [],
        "deteriorating_kpis": [],
        "low_confidence": [],
        "stale_kpis": [],
        "missing_checkins": [],
        "overdue_actions": [],
    }
    meeting = ReviewMeeting.objects.with_scopes_disabled().create(
        organization=acme.org,
        kind="monthly",
        held_on=timezone.localdate(),
        created_by=acme.executive.user,
        agenda=old,
    )
    response = client_for(acme.executive).get(f"/o/acme/reviews/{meeting.pk}/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Deteriorating" in page and "Missed target two periods running" not in page


def test_kpi_attention_reads_the_organisations_values_only(acme, running, globex_cascade):
    kpi = _kpi(acme, running, "Sinking", [80, 70, 60])
    statuses = kpi_statuses(org=acme.org, kpis=[kpi]).values()
    assert [f.kinds for f in kpi_attention(org=acme.org, statuses=statuses)] == [
        [Kind.RED, Kind.OFF_TWICE, Kind.DETERIORATING]
    ]
    # Asked under another organisation, the values are not found: nothing deteriorates.
    found = kpi_attention(org=globex_cascade.kpi.organization, statuses=statuses)
    assert Kind.DETERIORATING not in found[0].kinds


def test_low_confidence_is_per_organisation_and_team(acme, running, globex):
    checkin_submit(
        org=acme.org,
        actor=acme.lead,
        objective=running,
        week_start=current_week(acme.org),
        status="at_risk",
        progress=10,
        confidence=4,
        reason="Budget cut",
    )
    assert [o for o, _ in low_confidence(org=acme.org)] == [running]
    assert [o for o, _ in low_confidence(org=acme.org, team=acme.sales)] == [running]
    assert low_confidence(org=acme.org, team=acme.support) == []
    assert low_confidence(org=globex.org) == []
    with org_scope(acme.org):
        running.checkins.update(confidence=5)
    assert low_confidence(org=acme.org) == []
