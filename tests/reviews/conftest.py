"""A small organisation with a month worth a business-review pack: October 2026.

Two priorities in two perspectives, a summed weekly KPI on target, a lower-is-better churn KPI
off target three months running (with a lead KPI that is improving), a KPI without any value,
a key KPI whose owner wrote commentary beginning with "=" (a formula, if a spreadsheet were
careless), a target moved while its quarter ran, and a monthly review with a decision and an
open action.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from metrics.models import Kpi, KpiLink, MetricValue, Target
from perfmgmt.actor import audit_context
from perfmgmt.tenancy import org_scope
from reviews.models import ActionItem, Decision, KpiCommentary, ReviewMeeting
from tests.conftest import OrgWorld
from tests.factories import KpiFactory, ObjectiveFactory, PriorityFactory

MONTH = dt.date(2026, 10, 1)
FORMULA = '=HYPERLINK("http://evil.example","click")'


@dataclass
class PackWorld:
    world: OrgWorld
    revenue: Kpi
    churn: Kpi
    health: Kpi
    logos: Kpi
    empty: Kpi


def _months(end: dt.date, count: int) -> list[dt.date]:
    days, day = [], end
    for _ in range(count):
        days.append(day)
        day = (day - dt.timedelta(days=1)).replace(day=1)
    return list(reversed(days))


def _quarters(
    org, kpi: Kpi, value: float, green: float, amber: float, first_q4: float | None = None
) -> None:
    """Five quarterly targets; `first_q4`: what 2026-Q4's started at, before it was moved."""
    for start in (
        dt.date(2025, 10, 1),
        dt.date(2026, 1, 1),
        dt.date(2026, 4, 1),
        dt.date(2026, 7, 1),
        dt.date(2026, 10, 1),
    ):
        end = (start.replace(day=28) + dt.timedelta(days=70)).replace(day=1) - dt.timedelta(days=1)
        Target.objects.create(
            organization=org,
            kpi=kpi,
            period_start=start,
            period_end=end,
            value=first_q4
            if first_q4 is not None and start.year == 2026 and start.month == 10
            else value,
            green_threshold=green,
            amber_threshold=amber,
        )


def build_pack_world(world: OrgWorld) -> PackWorld:
    org, lead, finance = world.org, world.lead, world.finance
    with org_scope(org):
        financial = PriorityFactory(
            organization=org,
            owner=world.executive.user,
            perspective="financial",
            title="Grow revenue",
            rank=1,
        )
        customer = PriorityFactory(
            organization=org,
            owner=world.executive.user,
            perspective="customer",
            title="Délight customers — 顧客満足",
            rank=2,
        )
        sell = ObjectiveFactory(
            organization=org,
            team=world.sales,
            owner=lead.user,
            priority=financial,
            title="Sell more",
        )
        keep = ObjectiveFactory(
            organization=org,
            team=world.sales,
            owner=lead.user,
            priority=customer,
            title="Keep customers",
        )
        common = {"organization": org, "outcome_owner": lead.user}
        revenue = KpiFactory(
            objective=sell,
            key="revenue",
            name="Revenue",
            unit="€k",
            cadence="monthly",
            aggregation="sum",
            is_key=True,
            **common,
        )
        logos = KpiFactory(
            objective=sell,
            key="new-logos",
            name="New logos",
            cadence="weekly",
            aggregation="sum",
            kind="lead",
            **common,
        )
        churn = KpiFactory(
            objective=keep,
            key="churn",
            name="Logo churn",
            unit="%",
            cadence="monthly",
            aggregation="average",
            direction="lower",
            is_key=True,
            **common,
        )
        health = KpiFactory(
            objective=keep,
            key="health",
            name="Accounts in red health",
            cadence="monthly",
            aggregation="last",
            direction="lower",
            kind="lead",
            **common,
        )
        empty = KpiFactory(
            objective=keep, key="nps", name="Net promoter score", cadence="monthly", **common
        )
        KpiLink.objects.create(organization=org, lead=health, lag=churn)
        _quarters(org, revenue, 100, 100, 90)
        _quarters(org, churn, 2.14, 2.14, 2.35, first_q4=2.0)
        _quarters(org, health, 30, 30, 33)
        _quarters(org, logos, 2, 2, 1.8)
        values = []
        for i, month in enumerate(_months(MONTH, 13)):
            values.append(
                MetricValue(
                    organization=org,
                    kpi=revenue,
                    period_date=month,
                    value=90 + i,
                    confidence="reconciled",
                )
            )
            churn_value = 2.0 if i < 10 else 2.47
            values.append(
                MetricValue(
                    organization=org,
                    kpi=churn,
                    period_date=month,
                    value=churn_value,
                    confidence="preliminary",
                )
            )
            values.append(
                MetricValue(
                    organization=org,
                    kpi=health,
                    period_date=month,
                    value=50 - i,
                    confidence="estimate",
                )
            )
        week = dt.date(2025, 10, 6)
        while week <= dt.date(2026, 10, 26):
            values.append(
                MetricValue(
                    organization=org, kpi=logos, period_date=week, value=3, confidence="audited"
                )
            )
            week += dt.timedelta(weeks=1)
        MetricValue.objects.bulk_create(values)
        KpiCommentary.objects.create(
            organization=org,
            kpi=churn,
            month=MONTH,
            author=lead.user,
            analysis="Four mid-market logos left after the onboarding backlog.",
            next_step="Call every red-health account this month.",
        )
        KpiCommentary.objects.create(
            organization=org,
            kpi=revenue,
            month=MONTH,
            author=lead.user,
            analysis=FORMULA,
            next_step="@SUM(A1:A9) is not a formula here.",
        )
        # The churn target moved mid-period by finance: on the trail, as the app writes it.
        with audit_context(user=finance.user.pk):
            Target.objects.filter(kpi=churn, period_start=dt.date(2026, 10, 1)).update(value=2.14)
        meeting = ReviewMeeting.objects.create(
            organization=org,
            kind="monthly",
            held_on=dt.date(2026, 10, 7),
            created_by=world.executive.user,
        )
        Decision.objects.create(
            organization=org,
            meeting=meeting,
            text="Freeze hiring in Support.",
            recorded_by=world.executive.user,
        )
        ActionItem.objects.create(
            organization=org,
            meeting=meeting,
            title="Review churn drivers",
            owner=lead.user,
            due_date=dt.date(2026, 10, 28),
            kpi=churn,
        )
    return PackWorld(world, revenue, churn, health, logos, empty)


@pytest.fixture
def pack_world(acme) -> PackWorld:
    return build_pack_world(acme)
