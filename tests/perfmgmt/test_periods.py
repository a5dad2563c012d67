from __future__ import annotations

import datetime as dt

import pytest

from perfmgmt.periods import cadence_period_start, fiscal_quarter, fiscal_year, period_choices


@pytest.mark.parametrize(
    ("cadence", "day", "start"),
    [
        ("weekly", dt.date(2026, 11, 22), dt.date(2026, 11, 16)),
        ("weekly", dt.date(2026, 11, 16), dt.date(2026, 11, 16)),
        ("monthly", dt.date(2026, 2, 28), dt.date(2026, 2, 1)),
        ("quarterly", dt.date(2026, 8, 15), dt.date(2026, 7, 1)),
    ],
)
def test_a_value_is_filed_under_its_period_start(cadence, day, start):  # noqa: ANN001
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
