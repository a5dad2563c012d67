from __future__ import annotations

import datetime as dt

import pytest
from django.core import mail
from django.utils import timezone

from perfmgmt.tenancy import org_scope
from reviews.models import ReminderDelivery
from reviews.reminders import reminders_send
from reviews.services import checkin_submit

# Friday 20 November 2026, 11:00 in Berlin: after a Friday-10:00 check-in deadline.
FRIDAY_LATE_MORNING = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def running(acme, acme_cascade):  # noqa: ANN001, ANN201
    acme.org.timezone = "Europe/Berlin"
    acme.org.checkin_weekday, acme.org.checkin_hour = 4, 10
    acme.org.save()
    objective = acme_cascade.objective
    objective.period_start, objective.period_end = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    objective.save()
    return objective


def subjects(to: str) -> list[str]:
    return sorted(m.subject for m in mail.outbox if to in m.to)


def test_the_owner_gets_one_checkin_reminder_however_often_it_runs(acme, running):  # noqa: ANN001
    for _ in range(3):
        reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    lead = acme.lead.user.email
    assert subjects(lead).count("Weekly check-in due (Acme)") == 1
    with org_scope(acme.org):
        assert ReminderDelivery.objects.filter(user=acme.lead.user, kind="checkin").count() == 1


def test_nobody_is_reminded_before_the_checkin_hour(acme, running):  # noqa: ANN001
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING - dt.timedelta(hours=2))
    assert "Weekly check-in due (Acme)" not in subjects(acme.lead.user.email)


def test_a_checked_in_owner_is_not_reminded(acme, running, monkeypatch):  # noqa: ANN001
    monkeypatch.setattr(timezone, "now", lambda: FRIDAY_LATE_MORNING)
    checkin_submit(
        org=acme.org,
        actor=acme.lead,
        objective=running,
        week_start=dt.date(2026, 11, 16),
        status="on_track",
        progress=50,
        confidence=8,
    )
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert "Weekly check-in due (Acme)" not in subjects(acme.lead.user.email)


def test_a_missing_checkin_is_escalated_to_the_lead_after_the_grace_period(acme, running):  # noqa: ANN001
    running.owner = acme.member.user
    running.save()
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert "Check-ins still missing in your team (Acme)" not in subjects(acme.lead.user.email)
    later = FRIDAY_LATE_MORNING + dt.timedelta(hours=25)
    reminders_send(org=acme.org, now=later)
    reminders_send(org=acme.org, now=later)
    assert subjects(acme.lead.user.email).count("Check-ins still missing in your team (Acme)") == 1
    assert "Weekly check-in due (Acme)" in subjects(acme.member.user.email)


def test_stale_kpis_remind_their_data_owner(acme, running):  # noqa: ANN001
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert "KPI values due (Acme)" in subjects(acme.lead.user.email)


def test_executives_and_finance_are_reminded_of_the_business_review_once_a_month(acme, running):  # noqa: ANN001
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING + dt.timedelta(days=2))
    for person in (acme.executive, acme.finance):
        assert (
            subjects(person.user.email).count("Monthly business review for November 2026 (Acme)")
            == 1
        )
    assert not [s for s in subjects(acme.member.user.email) if "business review" in s]


def test_reminders_never_cross_organisations(acme, running, globex):  # noqa: ANN001
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert all(globex.admin.user.email not in m.to for m in mail.outbox)
