"""Reads for check-ins: which week it is for an organisation, and who still owes one."""

from __future__ import annotations

import datetime as dt
import zoneinfo

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone

from objectives.models import Objective
from perfmgmt.models import Organization
from perfmgmt.tenancy import org_scope
from reviews.models import CheckIn


def week_start_for(day: dt.date) -> dt.date:
    return day - dt.timedelta(days=day.weekday())


def org_today(org: Organization, now: dt.datetime | None = None) -> dt.date:
    """Today's date in the organisation's time zone (check-in weeks follow local time)."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(org.timezone)).date()


def current_week(org: Organization, now: dt.datetime | None = None) -> dt.date:
    return week_start_for(org_today(org, now))


def objectives_missing_checkin(*, org: Organization, week_start: dt.date) -> QuerySet[Objective]:
    """Objectives running during the week that have no check-in for it yet."""
    week_end = week_start + dt.timedelta(days=6)
    with org_scope(org):
        checked_in = CheckIn.objects.filter(objective=OuterRef("pk"), week_start=week_start)
        return (
            Objective.objects.filter(period_start__lte=week_end, period_end__gte=week_start)
            .exclude(Exists(checked_in))
            .select_related("team", "owner", "team__lead")
        )
