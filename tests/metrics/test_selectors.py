from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from metrics.dashboards import cards_for
from metrics.selectors import kpi_statuses, target_list, value_list
from perfmgmt.periods import org_today
from tests.conftest import build_cascade
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


def test_target_and_value_lists_hold_only_the_organisations_own(acme, acme_cascade, globex):
    other = build_cascade(globex)
    assert list(target_list(org=acme.org)) == [acme_cascade.target]
    assert list(target_list(org=globex.org, kpi=acme_cascade.kpi)) == []
    assert list(value_list(org=acme.org)) == [acme_cascade.value]
    assert list(value_list(org=globex.org)) == [other.value]
    assert list(value_list(org=globex.org, kpi=acme_cascade.kpi)) == []


def test_the_value_list_narrows_to_a_kpi_and_a_window(acme, acme_cascade):
    kpi, day = acme_cascade.kpi, acme_cascade.value.period_date
    assert list(value_list(org=acme.org, kpi=kpi, start=day, end=day)) == [acme_cascade.value]
    assert list(value_list(org=acme.org, kpi=kpi, start=day + dt.timedelta(days=1))) == []
    assert list(value_list(org=acme.org, kpi=kpi, end=day - dt.timedelta(days=1))) == []
