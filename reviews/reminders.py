"""Cadence reminders: weekly check-ins (escalated to the lead after a grace period), KPIs whose
data owner has not sent a value, the monthly business review, and failing data sources.

A reminder is claimed (a unique ReminderDelivery row) before it is sent, so however often the
task runs a person gets it once per period. A send that fails (SMTP refused or timed out, webhook
error) releases its claim with the error and an attempt count; the next run tries again, up to
REMINDER_MAX_ATTEMPTS, and one failing recipient never stops the others. A claim held by a worker
that died is taken over once it is older than any task may live (TASK_LOST_AFTER); a worker that
died after the mail server accepted the message but before `sent_at` was saved is the one case in
which a reminder can arrive twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from collections import defaultdict
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractBaseUser
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone

from metrics.models import DataSource, IngestionRun, Kpi
from metrics.selectors import kpi_statuses
from perfmgmt import outbound
from perfmgmt.models import Membership, Organization, Role, Team
from perfmgmt.periods import add_months, org_now, week_start
from perfmgmt.permissions import can_see_packs
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_allowed
from reviews.models import ReminderDelivery, ReminderKind
from reviews.packs.data import commentary_due_date, commentary_due_kpis
from reviews.selectors import objectives_missing_checkin

logger = logging.getLogger(__name__)


# Errors of one send: the message was not handed over; the claim is released for a retry.
SEND_ERRORS = (smtplib.SMTPException, OSError, requests.RequestException)
# Of those, the ones that say the recipient or message was refused, not the server unreachable.
RECIPIENT_ERRORS = (smtplib.SMTPRecipientsRefused, smtplib.SMTPDataError, smtplib.SMTPSenderRefused)
# Notifications of an event are resent as stored; every other kind is rebuilt from the current
# state on the next run (so a person who checked in meanwhile is not reminded after all).
RESENT_AS_STORED = (ReminderKind.SOURCE_FAILING,)


def _retryable(now: dt.datetime) -> Q:
    """Unsent, attempts left, and nobody holding the claim (or its holder is dead)."""
    lost = now - dt.timedelta(seconds=settings.TASK_LOST_AFTER)
    return Q(sent_at__isnull=True, attempts__lt=settings.REMINDER_MAX_ATTEMPTS) & (
        Q(claimed_at__isnull=True) | Q(claimed_at__lt=lost)
    )


def _claim(
    org: Organization, user: Any, kind: str, period: str, channel: str, subject: str, body: str
) -> ReminderDelivery | None:
    """The claim to send this reminder now, or None: sent before, being sent by another worker
    right now, or given up."""
    now = timezone.now()
    with org_scope(org):
        try:
            with transaction.atomic():
                return ReminderDelivery.objects.create(
                    organization=org,
                    user=user,
                    kind=kind,
                    period=period,
                    channel=channel,
                    subject=subject,
                    body=body,
                    claimed_at=now,
                )
        except IntegrityError:
            pass  # claimed before: take it over only if an earlier send failed
        claims = ReminderDelivery.objects.filter(
            user=user, kind=kind, period=period, channel=channel
        )
        taken = claims.filter(_retryable(now)).update(
            claimed_at=now, attempts=F("attempts") + 1, subject=subject, body=body
        )
        return claims.get() if taken else None


def _send(org: Organization, user: Any, claim: ReminderDelivery, down: set[str]) -> int:
    """Send one claimed reminder; 1 if it went out. A failure releases the claim for the next
    run and, when the server itself is unreachable, marks the channel down for this run so the
    remaining reminders wait for the next run instead of each waiting out the timeout."""
    try:
        if claim.channel == "email":
            send_mail(claim.subject, claim.body, None, [user.email])
        else:
            outbound.request(
                "POST",
                org.slack_webhook_url,
                json={"text": f"*{claim.subject}*\n{claim.body}"},
                timeout=settings.WEBHOOK_TIMEOUT,
            ).raise_for_status()
    except SEND_ERRORS as exc:
        if claim.channel != "email" or not isinstance(exc, RECIPIENT_ERRORS):
            down.add(claim.channel)
        error = f"{type(exc).__name__}: {exc}"[:1000]
        with org_scope(org):
            ReminderDelivery.objects.filter(pk=claim.pk, claimed_at=claim.claimed_at).update(
                claimed_at=None, last_error=error
            )
        given_up = claim.attempts >= settings.REMINDER_MAX_ATTEMPTS
        logger.log(
            logging.ERROR if given_up else logging.WARNING,
            "%s reminder %s to user %s failed (attempt %s of %s%s): %s",
            claim.channel,
            claim.kind,
            claim.user_id,
            claim.attempts,
            settings.REMINDER_MAX_ATTEMPTS,
            ", given up" if given_up else "",
            error,
        )
        return 0
    with org_scope(org):
        ReminderDelivery.objects.filter(pk=claim.pk).update(sent_at=timezone.now(), last_error="")
    return 1


def deliver(
    *,
    org: Organization,
    user: Any,
    kind: str,
    period: str,
    subject: str,
    body: str,
    down: set[str] | None = None,
) -> int:
    """Send one reminder on every channel not yet used for it; returns how many were sent.

    `down` collects the channels found unreachable during one run (pass the same set to every
    call of the run); a channel in it is not tried, and not claimed, until the next run.
    """
    down = set() if down is None else down
    channels = [("email", bool(user.email)), ("slack", bool(org.slack_webhook_url))]
    sent = 0
    for channel, reachable in channels:
        if not reachable or channel in down:
            continue
        if claim := _claim(org, user, kind, period, channel, subject, body):
            sent += _send(org, user, claim, down)
    return sent


def _resend_stored(org: Organization, down: set[str]) -> int:
    """Retry event notifications whose send failed, with the message stored on the claim."""
    now, sent = timezone.now(), 0
    with org_scope(org):
        failed = list(
            ReminderDelivery.objects.select_related("user")
            .filter(_retryable(now), kind__in=RESENT_AS_STORED)
            .exclude(body="")
        )
    for claim in failed:
        if claim.channel in down:
            continue
        with org_scope(org):
            taken = (
                ReminderDelivery.objects.filter(pk=claim.pk, claimed_at=claim.claimed_at)
                .filter(_retryable(now))
                .update(claimed_at=now, attempts=F("attempts") + 1)
            )
        if taken:
            claim.claimed_at, claim.attempts = now, claim.attempts + 1
            sent += _send(org, claim.user, claim, down)
    return sent


def org_link(org: Organization, name: str) -> str:
    """An absolute link to one of the organisation's pages, for messages."""
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs={"org_slug": org.slug})


def _week_key(week: dt.date) -> str:
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


def reminders_send(*, org: Organization, now: dt.datetime | None = None) -> int:
    """Everything due for one organisation at `now` (its local time decides)."""
    local = org_now(org, now)
    week = week_start(local.date())
    due = dt.datetime.combine(
        week + dt.timedelta(days=org.checkin_weekday),
        dt.time(org.checkin_hour),
        tzinfo=local.tzinfo,
    )
    down: set[str] = set()
    sent = _resend_stored(org, down)
    if local >= due:
        sent += _checkin_reminders(
            org,
            week,
            escalate=local >= due + dt.timedelta(hours=settings.CHECKIN_ESCALATION_HOURS),
            down=down,
        )
        sent += _stale_kpi_reminders(org, week, down=down)
    if local.hour >= org.checkin_hour:
        # Once a month (the period is the month), from the first run after the check-in hour.
        sent += _business_review_reminders(org, local.date().replace(day=1), down=down)
        sent += _commentary_reminders(org, local.date(), down=down)
    return sent


def escalation_recipient(team: Team) -> AbstractBaseUser | None:
    """Who is told when a check-in of the team's work is still missing: the person named as the
    team's lead (`Team.lead`), whatever their role, and nobody else.

    Not everyone `leads_team` counts: that rule also lets every LEAD who merely belongs to the
    team check in for it, and an escalation mailed to each of them would be noise. The named
    lead is the one person the organisation made answerable for the team; a team without one
    escalates to nobody (its owners still get their own reminder).
    """
    return team.lead


def _checkin_reminders(org: Organization, week: dt.date, *, escalate: bool, down: set[str]) -> int:
    missing = list(objectives_missing_checkin(org=org, week_start=week))
    by_owner: dict = defaultdict(list)
    by_lead: dict = defaultdict(list)
    for objective in missing:
        by_owner[objective.owner].append(objective)
        if (lead := escalation_recipient(objective.team)) is not None:
            by_lead[lead].append(objective)
    link, key, sent = org_link(org, "reviews:checkin"), _week_key(week), 0
    for owner, objectives in by_owner.items():
        titles = "\n".join(f"- {o.title}" for o in objectives)
        sent += deliver(
            org=org,
            user=owner,
            kind=ReminderKind.CHECKIN,
            period=key,
            subject=f"Weekly check-in due ({org.name})",
            body=f"Please check in on:\n{titles}\n\n{link}",
            down=down,
        )
    if escalate:
        missing_link = org_link(org, "reviews:missing")
        for lead, objectives in by_lead.items():
            titles = "\n".join(f"- {o.title} ({display_name(o.owner)})" for o in objectives)
            sent += deliver(
                org=org,
                user=lead,
                kind=ReminderKind.ESCALATION,
                period=key,
                subject=f"Check-ins still missing in your team ({org.name})",
                body=f"These objectives have no check-in this week:\n{titles}\n\n{missing_link}",
                down=down,
            )
    return sent


def _stale_kpi_reminders(org: Organization, week: dt.date, *, down: set[str]) -> int:
    with org_scope(org):
        kpis = list(Kpi.objects.select_related("data_owner"))
    by_owner: dict = defaultdict(list)
    for status in kpi_statuses(org=org, kpis=kpis).values():
        if status.stale:
            by_owner[status.kpi.data_owner].append(status.kpi)
    link, sent = org_link(org, "reviews:owe"), 0
    for owner, stale in by_owner.items():
        names = "\n".join(f"- {k.name} ({k.get_cadence_display().lower()})" for k in stale)
        sent += deliver(
            org=org,
            user=owner,
            kind=ReminderKind.STALE_KPI,
            period=_week_key(week),
            subject=f"KPI values due ({org.name})",
            body=f"These KPIs have no value for their last period:\n{names}\n\n{link}",
            down=down,
        )
    return sent


def _business_review_reminders(org: Organization, month: dt.date, *, down: set[str]) -> int:
    with org_scope(org):
        people = [
            m.user
            for m in Membership.objects.select_related("user").filter(
                role__in=[Role.EXECUTIVE, Role.FINANCE]
            )
        ]
    link, sent = org_link(org, "reviews:meetings"), 0
    for person in people:
        sent += deliver(
            org=org,
            user=person,
            kind=ReminderKind.BUSINESS_REVIEW,
            period=f"{month:%Y-%m}",
            subject=f"Monthly business review for {month:%B %Y} ({org.name})",
            body=f"Prepare the review and its pack: {link}",
            down=down,
        )
    return sent


def _commentary_reminders(org: Organization, today: dt.date, *, down: set[str]) -> int:
    """Once the month has closed and until its commentary is due, each outcome owner whose
    commentary is missing is told once which KPIs need their words."""
    month = add_months(today.replace(day=1), -1)
    if today > commentary_due_date(month):
        return 0
    return sum(_remind_commentary(org, month, period=f"{month:%Y-%m}", down=down).values())


def _remind_commentary(
    org: Organization, month: dt.date, *, period: str, down: set[str]
) -> dict[Any, int]:
    """Tell each outcome owner whose commentary on `month` is missing which KPIs need their
    words; once per `period`. Returns the messages sent per owner."""
    due = commentary_due_date(month)
    by_owner: dict = defaultdict(list)
    for found, written in commentary_due_kpis(org=org, month=month):
        if written is None:
            by_owner[found.kpi.outcome_owner].append(found.kpi)
    link, sent = org_link(org, "reviews:commentary"), {}
    for owner, kpis in by_owner.items():
        names = "\n".join(f"- {k.name}" for k in kpis)
        sent[owner] = deliver(
            org=org,
            user=owner,
            kind=ReminderKind.COMMENTARY,
            period=period,
            subject=f"Commentary for {month:%B %Y} due {due.day} {due:%b} ({org.name})",
            body=f"Please explain these KPIs' numbers before the business review:\n{names}\n\n"
            f"{link}?month={month:%Y-%m}",
            down=down,
        )
    return sent


def commentary_chase(*, org: Organization, actor: Membership, month: dt.date) -> int:
    """The CFO chases the owners whose commentary on `month` is missing, now: once a day at
    most. Returns how many owners were reminded."""
    ensure_allowed(can_see_packs(actor), "Only finance, executives and admins chase owners.")
    period = f"{month:%Y-%m} chased {org_now(org).date().isoformat()}"
    return sum(1 for n in _remind_commentary(org, month, period=period, down=set()).values() if n)


def source_failing_received(
    sender: type, *, source: DataSource, run: IngestionRun, **kwargs: Any
) -> None:
    """The receiver of metrics.signals.source_failing (connected in reviews.apps)."""
    notify_source_failing(source=source, run=run)


def notify_source_failing(*, source: DataSource, run: IngestionRun) -> int:
    org = source.organization
    owner = get_user_model().objects.get(pk=source.data_owner_id)
    return deliver(
        org=org,
        user=owner,
        kind=ReminderKind.SOURCE_FAILING,
        period=f"{source.pk}:{run.pk}",
        subject=f"Data source '{source.name}' keeps failing ({org.name})",
        body=f"It failed {source.consecutive_failures} times in a row. Last error: {run.error}",
    )
