"""The organisation's calendar: its today and week, fiscal periods, and KPI cadences."""

from __future__ import annotations

import datetime as dt
import zoneinfo
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.db import models
from django.utils import timezone

if TYPE_CHECKING:
    from perfmgmt.models import Organization


class Cadence(models.TextChoices):
    WEEKLY = "weekly", "Weekly"
    MONTHLY = "monthly", "Monthly"
    QUARTERLY = "quarterly", "Quarterly"


def week_start(day: dt.date) -> dt.date:
    """The Monday of the week containing `day`: check-in weeks and weekly KPIs start there."""
    return day - dt.timedelta(days=day.weekday())


def org_now(org: Organization, now: dt.datetime | None = None) -> dt.datetime:
    """The current moment on the organisation's wall clock (its time zone, not the server's)."""
    return (now or timezone.now()).astimezone(zoneinfo.ZoneInfo(org.timezone))


def org_today(org: Organization, now: dt.datetime | None = None) -> dt.date:
    """Today's date for the organisation: near midnight UTC it differs from the server's date."""
    return org_now(org, now).date()


def current_week(org: Organization, now: dt.datetime | None = None) -> dt.date:
    """The Monday of the organisation's current week."""
    return week_start(org_today(org, now))


@dataclass(frozen=True)
class Period:
    kind: str  # "quarter" or "year"
    start: dt.date
    end: dt.date
    label: str

    @property
    def key(self) -> str:
        return f"{self.kind}:{self.start.isoformat()}"


def add_months(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + (day.month - 1) + months
    return dt.date(index // 12, index % 12 + 1, 1)


def fiscal_year_start(day: dt.date, fy_start_month: int) -> dt.date:
    year = day.year if day.month >= fy_start_month else day.year - 1
    return dt.date(year, fy_start_month, 1)


def fiscal_year(day: dt.date, fy_start_month: int) -> Period:
    start = fiscal_year_start(day, fy_start_month)
    end = add_months(start, 12) - dt.timedelta(days=1)
    # A fiscal year is named after the calendar year it ends in (FY2027 ends March 2027).
    label = f"FY{end.year}" if fy_start_month != 1 else f"{start.year}"
    return Period("year", start, end, label)


def fiscal_quarter(day: dt.date, fy_start_month: int) -> Period:
    year_start = fiscal_year_start(day, fy_start_month)
    months_in = (day.year - year_start.year) * 12 + day.month - year_start.month
    number = months_in // 3 + 1
    start = add_months(year_start, (number - 1) * 3)
    end = add_months(start, 3) - dt.timedelta(days=1)
    year_label = fiscal_year(day, fy_start_month).label
    return Period("quarter", start, end, f"{year_label} Q{number}")


def period_for(kind: str, day: dt.date, fy_start_month: int) -> Period:
    return (
        fiscal_year(day, fy_start_month) if kind == "year" else fiscal_quarter(day, fy_start_month)
    )


def period_choices(today: dt.date, fy_start_month: int) -> list[Period]:
    """Last year, this year and next, with their quarters: what a planner picks from."""
    this_year = fiscal_year(today, fy_start_month)
    periods: list[Period] = []
    for offset in (-12, 0, 12):
        year = fiscal_year(add_months(this_year.start, offset), fy_start_month)
        periods.append(year)
        for q in range(4):
            periods.append(fiscal_quarter(add_months(year.start, q * 3), fy_start_month))
    return periods


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def _quarter_start(day: dt.date) -> dt.date:
    return dt.date(day.year, (day.month - 1) // 3 * 3 + 1, 1)


_PERIOD_START = {
    Cadence.WEEKLY: week_start,
    Cadence.MONTHLY: _month_start,
    Cadence.QUARTERLY: _quarter_start,
}
# The longest period of each cadence, for "how far back is the last complete one".
_LENGTH_DAYS = {Cadence.WEEKLY: 7, Cadence.MONTHLY: 31, Cadence.QUARTERLY: 92}


def _cadence(value: str) -> Cadence:
    try:
        return Cadence(value)
    except ValueError:
        raise ValueError(f"unknown cadence {value!r}") from None


def cadence_period_start(cadence: str, day: dt.date) -> dt.date:
    """The first day of the cadence period containing `day`: the date a value is filed under."""
    return _PERIOD_START[_cadence(cadence)](day)


def cadence_length_days(cadence: str) -> int:
    return _LENGTH_DAYS[_cadence(cadence)]


def working_days_after(day: dt.date, count: int) -> dt.date:
    """The `count`-th working day (Monday to Friday) after `day`; `day` itself for 0."""
    while count > 0:
        day += dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def working_days_before(day: dt.date, count: int) -> dt.date:
    """The working day `count` working days before `day`."""
    while count > 0:
        day -= dt.timedelta(days=1)
        if day.weekday() < 5:
            count -= 1
    return day


def last_closed_month(org: Organization, now: dt.datetime | None = None) -> dt.date:
    """The first day of the last month that has ended on the organisation's calendar."""
    return add_months(org_today(org, now).replace(day=1), -1)
