from __future__ import annotations

import datetime as dt
import socket

import pytest
from django.core import mail
from django.utils import timezone

from metrics.models import IngestionRun
from metrics.sources import source_save
from perfmgmt.models import Role
from perfmgmt.tenancy import org_scope
from reviews.models import ReminderDelivery
from reviews.reminders import notify_source_failing, reminders_send
from reviews.services import checkin_submit
from tests.factories import MembershipFactory, UserFactory

# Friday 20 November 2026, 11:00 in Berlin: after a Friday-10:00 check-in deadline.
FRIDAY_LATE_MORNING = dt.datetime(2026, 11, 20, 10, 0, tzinfo=dt.UTC)


@pytest.fixture
def running(acme, acme_cascade):
    acme.org.timezone = "Europe/Berlin"
    acme.org.checkin_weekday, acme.org.checkin_hour = 4, 10
    acme.org.save()
    objective = acme_cascade.objective
    objective.period_start, objective.period_end = dt.date(2026, 10, 1), dt.date(2026, 12, 31)
    objective.save()
    return objective


def subjects(to: str) -> list[str]:
    return sorted(m.subject for m in mail.outbox if to in m.to)


def test_the_owner_gets_one_checkin_reminder_however_often_it_runs(acme, running):
    for _ in range(3):
        reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    lead = acme.lead.user.email
    assert subjects(lead).count("Weekly check-in due (Acme)") == 1
    with org_scope(acme.org):
        assert ReminderDelivery.objects.filter(user=acme.lead.user, kind="checkin").count() == 1


def test_nobody_is_reminded_before_the_checkin_hour(acme, running):
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING - dt.timedelta(hours=2))
    assert "Weekly check-in due (Acme)" not in subjects(acme.lead.user.email)


def test_a_checked_in_owner_is_not_reminded(acme, running, monkeypatch):
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


def test_a_missing_checkin_is_escalated_to_the_lead_after_the_grace_period(acme, running):
    running.owner = acme.member.user
    running.save()
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert "Check-ins still missing in your team (Acme)" not in subjects(acme.lead.user.email)
    later = FRIDAY_LATE_MORNING + dt.timedelta(hours=25)
    reminders_send(org=acme.org, now=later)
    reminders_send(org=acme.org, now=later)
    assert subjects(acme.lead.user.email).count("Check-ins still missing in your team (Acme)") == 1
    assert "Weekly check-in due (Acme)" in subjects(acme.member.user.email)


def test_stale_kpis_remind_their_data_owner(acme, running):
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert "KPI values due (Acme)" in subjects(acme.lead.user.email)


def test_executives_and_finance_are_reminded_of_the_business_review_once_a_month(acme, running):
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING + dt.timedelta(days=2))
    for person in (acme.executive, acme.finance):
        assert (
            subjects(person.user.email).count("Monthly business review for November 2026 (Acme)")
            == 1
        )
    assert not [s for s in subjects(acme.member.user.email) if "business review" in s]


def test_reminders_never_cross_organisations(acme, running, globex):
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert all(globex.admin.user.email not in m.to for m in mail.outbox)


@pytest.fixture
def smtp_refusing(settings):
    """A real SMTP backend pointed at a port nobody listens on: every send is refused."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", port, 2

    def recover() -> None:
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"

    return recover


def claims(world, **filters) -> list[tuple]:
    with org_scope(world.org):
        return list(
            ReminderDelivery.objects.filter(**filters).values_list(
                "kind", "attempts", "sent_at", "claimed_at"
            )
        )


def test_a_reminder_the_mail_server_refused_is_sent_once_on_a_later_run(
    acme, running, smtp_refusing
):
    assert reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING) == 0
    failed = claims(acme, user=acme.lead.user)
    # Claimed but unsent, released for the next run, with the reason on record.
    assert failed and all(sent is None and held is None for _, _, sent, held in failed)
    with org_scope(acme.org):
        assert "ConnectionRefusedError" in ReminderDelivery.objects.first().last_error
    smtp_refusing()  # the mail server is back
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert subjects(acme.lead.user.email).count("Weekly check-in due (Acme)") == 1
    assert (
        subjects(acme.executive.user.email).count(
            "Monthly business review for November 2026 (Acme)"
        )
        == 1
    )
    with org_scope(acme.org):
        assert not ReminderDelivery.objects.filter(sent_at__isnull=True).exists()
        assert ReminderDelivery.objects.get(user=acme.lead.user, kind="checkin").attempts == 2


def test_a_mail_server_that_is_down_is_tried_once_per_run_not_once_per_person(
    acme, running, smtp_refusing
):
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    # The first refusal marks email down for this run: the others wait, unclaimed.
    with org_scope(acme.org):
        assert ReminderDelivery.objects.count() == 1


def test_a_reminder_is_given_up_after_the_last_attempt(acme, running, smtp_refusing, settings):
    settings.REMINDER_MAX_ATTEMPTS = 2
    for _ in range(4):
        reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    with org_scope(acme.org):
        first = ReminderDelivery.objects.get(kind="checkin")
    assert (first.attempts, first.sent_at) == (2, None) and first.last_error
    smtp_refusing()
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    first.refresh_from_db()
    assert first.sent_at is None and first.attempts == 2  # given up, not tried a third time
    assert not [m for m in mail.outbox if m.subject == first.subject and m.to == [first.user.email]]
    with org_scope(acme.org):
        sent = ReminderDelivery.objects.filter(sent_at__isnull=False)
        assert sorted(sent.values_list("kind", flat=True)) == ["mbr", "mbr"]  # never tried before


def test_a_reminder_another_worker_is_sending_is_not_sent_again(acme, running, settings):
    settings.TASK_LOST_AFTER = 55
    with org_scope(acme.org):
        held = ReminderDelivery.objects.create(
            organization=acme.org,
            user=acme.lead.user,
            kind="checkin",
            period="2026-W47",
            channel="email",
            claimed_at=timezone.now(),
        )
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert "Weekly check-in due (Acme)" not in subjects(acme.lead.user.email)
    # The holder died: once the claim is older than any task may live, it is taken over.
    with org_scope(acme.org):
        ReminderDelivery.objects.filter(pk=held.pk).update(
            claimed_at=timezone.now() - dt.timedelta(seconds=56)
        )
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    assert subjects(acme.lead.user.email).count("Weekly check-in due (Acme)") == 1
    held.refresh_from_db()
    assert held.attempts == 2 and held.sent_at is not None


def test_a_failed_source_notice_is_resent_as_stored(acme, running, smtp_refusing):
    source = source_save(
        org=acme.org,
        actor=acme.admin,
        name="Warehouse",
        kind="json",
        url="http://127.0.0.1:1/d",
        interval_minutes=5,
        data_owner=acme.member.user,
    )
    with org_scope(acme.org):
        run = IngestionRun.objects.create(
            organization=acme.org, source=source, slot=timezone.now(), error="HTTP 500"
        )
    assert notify_source_failing(source=source, run=run) == 0
    smtp_refusing()
    # The failure that caused it is not repeated, but the next reminder run resends the notice.
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING)
    notices = [m for m in mail.outbox if "keeps failing" in m.subject]
    assert len(notices) == 1 and notices[0].to == [acme.member.user.email]
    assert "HTTP 500" in notices[0].body


def test_the_escalation_goes_to_the_named_lead_only(acme, running):
    other_lead = MembershipFactory(
        organization=acme.org, user=UserFactory(username="leo"), role=Role.LEAD, team=acme.sales
    )  # leads_team, but not named
    running.owner = acme.member.user
    running.save()
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING + dt.timedelta(hours=25))
    escalation = "Check-ins still missing in your team (Acme)"
    assert escalation in subjects(acme.lead.user.email)
    assert escalation not in subjects(other_lead.user.email)


def test_a_team_without_a_named_lead_escalates_to_nobody(acme, running):
    acme.sales.lead = None
    acme.sales.save()
    running.owner = acme.member.user
    running.save()
    reminders_send(org=acme.org, now=FRIDAY_LATE_MORNING + dt.timedelta(hours=25))
    assert not [m for m in mail.outbox if "still missing" in m.subject]


def test_the_dispatcher_hands_each_organisation_its_own_task_after_commit(
    acme, globex, django_capture_on_commit_callbacks
):
    from reviews.tasks import reminders_dispatch, reminders_for_org

    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert reminders_dispatch() == 2
    assert all(callback.func == reminders_for_org.delay for callback in callbacks)
    assert sorted(callback.args for callback in callbacks) == sorted(
        [(acme.org.pk,), (globex.org.pk,)]
    )


def test_owners_missing_commentary_are_reminded_once_until_it_is_due(pack_world):
    org, lead = pack_world.world.org, pack_world.world.lead.user
    tuesday = dt.datetime(2026, 11, 3, 11, 0, tzinfo=dt.UTC)  # October's review: Fri 6 Nov
    for _ in range(2):
        reminders_send(org=org, now=tuesday)
    due = [m for m in mail.outbox if m.subject == "Commentary for October 2026 due 4 Nov (Acme)"]
    assert [m.to for m in due] == [[lead.email]]
    assert "Accounts in red health" in due[0].body
    assert "Logo churn" not in due[0].body  # written already
    mail.outbox.clear()
    reminders_send(org=org, now=tuesday + dt.timedelta(days=2))  # past the due date
    assert not [m for m in mail.outbox if m.subject.startswith("Commentary")]
