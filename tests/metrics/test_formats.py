"""Numbers as people read them: units, signed variances that say good or bad in words."""

from __future__ import annotations

import uuid

import pytest

from metrics.formats import fmt_number, fmt_run, fmt_share, fmt_value, fmt_variance
from metrics.models import Kpi, Rag, Target
from metrics.rag import variance
from metrics.selectors import KpiStatus, Reading


def status(value: float | None, target: float | None, direction: str) -> KpiStatus:
    kpi = Kpi(pk=uuid.uuid4(), direction=direction, unit="%")
    t = (
        Target(value=target, green_threshold=target, amber_threshold=target)
        if target is not None
        else None
    )
    latest = Reading(kpi.pk, None, value, "reconciled") if value is not None else None
    return KpiStatus(
        kpi=kpi, latest=latest, target=t, rag=Rag.NONE, variance=variance(value, t), stale=False
    )


@pytest.mark.parametrize(
    ("value", "target", "direction", "text"),
    [
        (2.47, 2.14, "lower", "+15.4 % adverse"),  # logo churn above its target is bad
        (2.0, 2.14, "lower", "−6.5 % favourable"),
        (57.6, 57, "lower", "+1.1 % adverse"),  # sales cycle: longer is worse
        (20.9, 22, "higher", "−5 % adverse"),  # ARR short of target
        (23.1, 22, "higher", "+5 % favourable"),
        (22, 22, "higher", "±0 % favourable"),
        (99.94, 99.9, "higher", "+0.04 % favourable"),  # small, but not "+0 %"
        (99.86, 99.9, "higher", "−0.04 % adverse"),
        (5, 0, "higher", "—"),  # a zero target has no percentage
        (5, None, "higher", "—"),  # no target
        (None, 22, "higher", "—"),  # no data
    ],
)
def test_a_variance_is_signed_and_named_by_the_kpis_direction(value, target, direction, text):
    assert status(value, target, direction).variance_text == text


def test_no_target_and_no_data_are_neither_good_nor_bad():
    assert status(5, None, "higher").favourable is None
    assert status(None, 3, "lower").favourable is None


def test_values_carry_their_unit_and_thousands_separators():
    assert fmt_value(2.47, "%") == "2.47%"
    assert fmt_value(310, "€") == "€310"
    assert fmt_value(-12.5, "€") == "−€12.5"
    assert fmt_value(70, "hours") == "70 hours"
    assert fmt_value(1234567.8, "") == "1,234,568"
    assert fmt_value(None, "%") == "—"
    assert fmt_number(0.1234) == "0.12"
    assert fmt_number(12.34) == "12.3"
    assert fmt_share(-0.03) == "−3 %"
    # Availability is read to the hundredth: 99.94 % is not 99.9 %.
    assert fmt_value(99.94, "%") == "99.94%"
    assert fmt_value(99.9, "%") == "99.9%"
    assert fmt_value(100, "%") == "100%"
    assert fmt_variance(0.154, False) == "+15.4 % adverse"


def test_a_run_of_values_carries_its_unit_once():
    assert fmt_run([6.45, 6.74, 6.91], "hours") == "6.45 → 6.74 → 6.91 hours"
    assert fmt_run([2.1, 2.4], "%") == "2.1 → 2.4%"
    assert fmt_run([310, 290], "€") == "€310 → €290"
    assert fmt_run([3, 4, 5], "") == "3 → 4 → 5"
