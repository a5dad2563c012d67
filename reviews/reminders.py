"""Cadence reminders: weekly check-ins (escalated to the lead after a grace period), KPIs whose
data owner has not sent a value, the monthly business review, and failing data sources.

A reminder is claimed (a unique ReminderDelivery row) before it is sent, so however often the
task runs, and even if a worker dies half-way, a person gets it at most once per period.
"""

from __future__ import annotations

import datetime as dt
import logging
import zoneinfo
from collections import defaultdict
from typing import Any

import requests
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import IntegrityError, transaction
from django.urls import reverse
from django.utils import timezone

from metrics.models import DataSource, IngestionRun, Kpi
from perfmgmt.models import Membership, Organization, Role
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from reviews.models import ReminderDelivery, ReminderKind
from reviews.selectors import objectives_missing_checkin, week_start_for

logger = logging.getLogger(__name__)


def _claim(
    org: Organization, user: Any, kind: str, period: str, channel: str
) -> ReminderDelivery | None:
    try:
        with transaction.atomic(), org_scope(org):
            return ReminderDelivery.objects.create(
                organization=org, user=user, kind=kind, period=period, channel=channel
            )
    except IntegrityError:
        return None  # already claimed: sent before, or being sent right now


def deliver(
    *, org: Organization, user: Any, kind: str, period: str, subject: str, body: str
) -> int:
    """Send one reminder on every channel not yet used for it; returns how many were sent."""
    sent = 0
    if user.email and (claim := _claim(org, user, kind, period, "email")):
        send_mail(subject, body, None, [user.email])
        claim.sent_at = timezone.now()
        claim.save(update_fields=["sent_at"])
        sent += 1
    if org.slack_webhook_url and (claim := _claim(org, user, kind, period, "slack")):
        try:
            requests.post(
                org.slack_webhook_url, json={"text": f"*{subject}*\n{body}"}, timeout=10
            ).raise_for_status()
        except requests.RequestException:
            logger.warning("Slack webhook of %s failed for %s", org.slug, kind, exc_info=True)
        else:
            claim.sent_at = timezone.now()
            claim.save(update_fields=["sent_at"])
            sent += 1
    return sent


def _link(org: Organization, name: str) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(name, kwargs={"org_slug": org.slug})


def _week_key(week: dt.date) -> str:
    year, number, _ = week.isocalendar()
    return f"{year}-W{number:02d}"


def reminders_send(*, org: Organization, now: dt.datetime | None = None) -> int:
    """Everything due for one organisation at `now` (its local time decides)."""
    local = (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(org.timezone))
    week = week_start_for(local.date())
    due = dt.datetime.combine(
        week + dt.timedelta(days=org.checkin_weekday),
        dt.time(org.checkin_hour),
        tzinfo=local.tzinfo,
    )
    sent = 0
    if local >= due:
        sent += _checkin_reminders(
            org, week, escalate=local >= due + dt.timedelta(hours=settings.CHECKIN_ESCALATION_HOURS)
        )
        sent += _stale_kpi_reminders(org, week)
    if local.hour >= org.checkin_hour:
        # Once a month (the period is the month), from the first run after the check-in hour.
        sent += _business_review_reminders(org, local.date().replace(day=1))
    return sent


def _checkin_reminders(org: Organization, week: dt.date, *, escalate: bool) -> int:
    missing = list(objectives_missing_checkin(org=org, week_start=week))
    by_owner: dict = defaultdict(list)
    by_lead: dict = defaultdict(list)
    for objective in missing:
        by_owner[objective.owner].append(objective)
        if objective.team.lead is not None:
            by_lead[objective.team.lead].append(objective)
    link, key, sent = _link(org, "reviews:checkin"), _week_key(week), 0
    for owner, objectives in by_owner.items():
        titles = "\n".join(f"- {o.title}" for o in objectives)
        sent += deliver(
            org=org,
            user=owner,
            kind=ReminderKind.CHECKIN,
            period=key,
            subject=f"Weekly check-in due ({org.name})",
            body=f"Please check in on:\n{titles}\n\n{link}",
        )
    if escalate:
        missing_link = _link(org, "reviews:missing")
        for lead, objectives in by_lead.items():
            titles = "\n".join(f"- {o.title} ({display_name(o.owner)})" for o in objectives)
            sent += deliver(
                org=org,
                user=lead,
                kind=ReminderKind.ESCALATION,
                period=key,
                subject=f"Check-ins still missing in your team ({org.name})",
                body=f"These objectives have no check-in this week:\n{titles}\n\n{missing_link}",
            )
    return sent


def _stale_kpi_reminders(org: Organization, week: dt.date) -> int:
    from metrics.selectors import kpi_statuses

    with org_scope(org):
        kpis = list(Kpi.objects.select_related("data_owner"))
    by_owner: dict = defaultdict(list)
    for status in kpi_statuses(org=org, kpis=kpis).values():
        if status.stale:
            by_owner[status.kpi.data_owner].append(status.kpi)
    link, sent = _link(org, "reviews:owe"), 0
    for owner, stale in by_owner.items():
        names = "\n".join(f"- {k.name} ({k.get_cadence_display().lower()})" for k in stale)
        sent += deliver(
            org=org,
            user=owner,
            kind=ReminderKind.STALE_KPI,
            period=_week_key(week),
            subject=f"KPI values due ({org.name})",
            body=f"These KPIs have no value for their last period:\n{names}\n\n{link}",
        )
    return sent


def _business_review_reminders(org: Organization, month: dt.date) -> int:
    with org_scope(org):
        people = [
            m.user
            for m in Membership.objects.select_related("user").filter(
                role__in=[Role.EXECUTIVE, Role.FINANCE]
            )
        ]
    link, sent = _link(org, "reviews:meetings"), 0
    for person in people:
        sent += deliver(
            org=org,
            user=person,
            kind=ReminderKind.BUSINESS_REVIEW,
            period=f"{month:%Y-%m}",
            subject=f"Monthly business review for {month:%B %Y} ({org.name})",
            body=f"Prepare the review and its pack: {link}",
        )
    return sent


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
