from __future__ import annotations

import datetime as dt

from perfmgmt.periods import current_week
from reviews.models import CheckIn
from reviews.selectors import objectives_missing_checkin
from tests.factories import ObjectiveFactory, ScopedFactory


class CheckInFactory(ScopedFactory):
    class Meta:
        model = CheckIn

    status = "on_track"
    progress = 50
    confidence = 7


def test_an_objective_without_this_weeks_checkin_is_missing(acme, acme_cascade):
    week = dt.date(2026, 6, 1)
    other = ObjectiveFactory(organization=acme.org, team=acme.support, owner=acme.admin.user)
    CheckInFactory(organization=acme.org, objective=other, week_start=week, author=acme.admin.user)
    missing = list(objectives_missing_checkin(org=acme.org, week_start=week))
    assert missing == [acme_cascade.objective]


def test_objectives_outside_their_period_are_not_missing(acme, acme_cascade):
    assert list(objectives_missing_checkin(org=acme.org, week_start=dt.date(2027, 6, 7))) == []


def test_missing_checkins_never_cross_organisations(acme, acme_cascade, globex_cascade):
    week = dt.date(2026, 6, 1)
    assert list(objectives_missing_checkin(org=acme.org, week_start=week)) == [
        acme_cascade.objective
    ]


def test_the_week_follows_the_organisations_time_zone(acme):
    acme.org.timezone = "Pacific/Auckland"
    # Sunday 13:00 UTC is already Monday 02:00 in Auckland: a new week there.
    now = dt.datetime(2026, 11, 22, 13, 0, tzinfo=dt.UTC)
    assert current_week(acme.org, now) == dt.date(2026, 11, 23)
    acme.org.timezone = "UTC"
    assert current_week(acme.org, now) == dt.date(2026, 11, 16)
