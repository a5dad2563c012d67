from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from metrics.dashboards import cards_for
from metrics.selectors import kpi_statuses
from perfmgmt.periods import org_today
from tests.factories import KpiFactory, MetricValueFactory

# Sunday 1 March 2026 in UTC, already Monday 2 March on Kiritimati (UTC+14).
SUNDAY_NOON_UTC = dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)


@pytest.fixture
def kiritimati(acme, monkeypatch):
    acme.org.timezone = "Pacific/Kiritimati"
    acme.org.save()
    monkeypatch.setattr(timezone, "now", lambda: SUNDAY_NOON_UTC)
    return acme


def test_a_kpi_goes_stale_on_the_organisations_calendar_not_the_servers(kiritimati):
    kpi = KpiFactory(organization=kiritimati.org, cadence="weekly")
    MetricValueFactory(kpi=kpi, period_date=dt.date(2026, 2, 16))  # the week before last
    assert org_today(kiritimati.org) == dt.date(2026, 3, 2)

    status = kpi_statuses(org=kiritimati.org, kpis=[kpi])[kpi.pk]
    (card,) = cards_for(
        org=kiritimati.org, user=kiritimati.lead.user, kpis=[kpi], today=org_today(kiritimati.org)
    )

    # Stale and "weeks without a value" count from the same day, the organisation's Monday.
    assert status.stale and card.status.stale
    assert card.weeks_without_value == 2


def test_the_status_reads_only_the_organisations_own_values(kiritimati, globex):
    kpi = KpiFactory(organization=kiritimati.org, cadence="weekly")
    MetricValueFactory(kpi=kpi, period_date=dt.date(2026, 2, 23))
    status = kpi_statuses(org=globex.org, kpis=[kpi])[kpi.pk]
    assert status.latest is None and status.stale
