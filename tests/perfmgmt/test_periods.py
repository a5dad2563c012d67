from __future__ import annotations

import datetime as dt

import pytest

from perfmgmt.models import Organization
from perfmgmt.periods import (
    Cadence,
    cadence_length_days,
    cadence_period_start,
    current_week,
    fiscal_quarter,
    fiscal_year,
    org_now,
    org_today,
    period_choices,
    week_start,
)


@pytest.mark.parametrize(
    ("cadence", "day", "start"),
    [
        ("weekly", dt.date(2026, 11, 22), dt.date(2026, 11, 16)),
        ("weekly", dt.date(2026, 11, 16), dt.date(2026, 11, 16)),
        ("monthly", dt.date(2026, 2, 28), dt.date(2026, 2, 1)),
        ("quarterly", dt.date(2026, 8, 15), dt.date(2026, 7, 1)),
    ],
)
def test_a_value_is_filed_under_its_period_start(cadence, day, start):
    assert cadence_period_start(cadence, day) == start


def test_a_fiscal_year_starting_in_april_is_named_after_its_end():
    year = fiscal_year(dt.date(2026, 11, 22), 4)
    assert (year.start, year.end, year.label) == (
        dt.date(2026, 4, 1),
        dt.date(2027, 3, 31),
        "FY2027",
    )


def test_fiscal_quarters_count_from_the_fiscal_year_start():
    quarter = fiscal_quarter(dt.date(2027, 2, 10), 4)
    assert (quarter.start, quarter.end, quarter.label) == (
        dt.date(2027, 1, 1),
        dt.date(2027, 3, 31),
        "FY2027 Q4",
    )


def test_planners_choose_from_three_years_and_their_quarters():
    choices = period_choices(dt.date(2026, 11, 22), 1)
    assert len(choices) == 15
    assert [p.label for p in choices[:5]] == ["2025", "2025 Q1", "2025 Q2", "2025 Q3", "2025 Q4"]


# 2026-11-22 11:30 UTC is a Sunday: already Monday the 23rd in Auckland (UTC+13 in summer),
# still Sunday morning in Pago Pago (UTC-11).
LATE_SUNDAY_UTC = dt.datetime(2026, 11, 22, 11, 30, tzinfo=dt.UTC)


def test_today_follows_each_organisations_time_zone_across_the_date_line():
    auckland = Organization(name="Kiwi", slug="kiwi", timezone="Pacific/Auckland")
    pago_pago = Organization(name="Samoa", slug="samoa", timezone="Pacific/Pago_Pago")
    assert org_today(auckland, LATE_SUNDAY_UTC) == dt.date(2026, 11, 23)
    assert org_today(pago_pago, LATE_SUNDAY_UTC) == dt.date(2026, 11, 22)


def test_the_current_week_starts_on_the_organisations_own_monday():
    auckland = Organization(name="Kiwi", slug="kiwi", timezone="Pacific/Auckland")
    pago_pago = Organization(name="Samoa", slug="samoa", timezone="Pacific/Pago_Pago")
    assert current_week(auckland, LATE_SUNDAY_UTC) == dt.date(2026, 11, 23)
    assert current_week(pago_pago, LATE_SUNDAY_UTC) == dt.date(2026, 11, 16)


def test_now_is_the_same_moment_on_the_organisations_wall_clock():
    auckland = Organization(name="Kiwi", slug="kiwi", timezone="Pacific/Auckland")
    local = org_now(auckland, LATE_SUNDAY_UTC)
    assert local == LATE_SUNDAY_UTC
    assert (local.hour, local.utcoffset()) == (0, dt.timedelta(hours=13))


def test_a_week_starts_on_monday():
    assert week_start(dt.date(2026, 11, 22)) == dt.date(2026, 11, 16)
    assert week_start(dt.date(2026, 11, 16)) == dt.date(2026, 11, 16)


def test_every_cadence_has_a_period_start_and_a_length():
    day = dt.date(2026, 8, 15)
    assert [cadence_period_start(c, day) for c in Cadence] == [
        dt.date(2026, 8, 10),
        dt.date(2026, 8, 1),
        dt.date(2026, 7, 1),
    ]
    assert [cadence_length_days(c) for c in Cadence] == [7, 31, 92]


def test_an_unknown_cadence_is_refused_by_name():
    with pytest.raises(ValueError, match="fortnightly"):
        cadence_period_start("fortnightly", dt.date(2026, 8, 15))
    with pytest.raises(ValueError, match="fortnightly"):
        cadence_length_days("fortnightly")
