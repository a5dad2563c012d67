from __future__ import annotations

import datetime as dt

from perfmgmt.models import Role
from perfmgmt.periods import current_week
from reviews.models import CheckIn
from reviews.selectors import checkin_history, objectives_missing_checkin, what_i_owe
from tests.factories import MembershipFactory, ObjectiveFactory, ScopedFactory, UserFactory


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


def _running_for(world, team, owner):
    today = current_week(world.org)
    return ObjectiveFactory(
        organization=world.org,
        team=team,
        owner=owner,
        period_start=today - dt.timedelta(days=30),
        period_end=today + dt.timedelta(days=30),
    )


def test_a_lead_owes_the_checkins_of_the_team_they_belong_to(acme):
    support_lead = MembershipFactory(
        organization=acme.org, user=UserFactory(username="sol"), role=Role.LEAD, team=acme.support
    )
    objective = _running_for(acme, acme.support, acme.admin.user)
    assert what_i_owe(org=acme.org, user=support_lead.user).checkins == [objective]


def test_a_named_lead_without_the_lead_role_owes_no_team_checkins(acme):
    # They may not check in for the team (can_check_in), so they do not owe it either.
    acme.support.lead = acme.member.user
    acme.support.save()
    _running_for(acme, acme.support, acme.admin.user)
    assert what_i_owe(org=acme.org, user=acme.member.user).checkins == []


def test_nobody_owes_checkins_in_an_organisation_they_do_not_belong_to(acme, globex):
    _running_for(acme, acme.sales, acme.lead.user)
    assert what_i_owe(org=acme.org, user=globex.lead.user).checkins == []


def test_the_confidence_trend_runs_oldest_to_newest_on_a_fixed_scale(acme, acme_cascade):
    monday = dt.date(2026, 6, 1)
    for weeks_ago, confidence in enumerate([10, 0, 5]):  # newest first
        CheckInFactory(
            organization=acme.org,
            objective=acme_cascade.objective,
            week_start=monday - dt.timedelta(weeks=weeks_ago),
            author=acme.lead.user,
            confidence=confidence,
        )
    history = checkin_history(org=acme.org, objective=acme_cascade.objective)
    assert history.trend_points == "0,20 100,40 200,0"


def test_the_confidence_trend_never_reads_another_organisations_checkins(
    acme, acme_cascade, globex
):
    CheckInFactory(
        organization=acme.org,
        objective=acme_cascade.objective,
        week_start=dt.date(2026, 6, 1),
        author=acme.lead.user,
    )
    history = checkin_history(org=globex.org, objective=acme_cascade.objective)
    assert history.checkins == [] and history.trend_points == ""
