from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from metrics.dashboards import cards_for
from metrics.selectors import kpi_by_ref, kpi_statuses, kpis_by_ref, target_list, value_list
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


def test_a_kpi_is_found_by_its_id_in_any_spelling_or_by_its_key(acme, acme_cascade):
    kpi = acme_cascade.kpi
    refs = [str(kpi.pk), str(kpi.pk).upper(), kpi.pk.hex, kpi.pk, kpi.key, "nope", 7, "a\x00b"]
    found = kpis_by_ref(org=acme.org, refs=refs)
    assert found == {ref: kpi for ref in refs[:5]}


def test_an_id_wins_over_a_key_that_reads_the_same(acme, acme_cascade):
    kpi = acme_cascade.kpi
    # A key stored before keys that read as ids were refused.
    impostor = KpiFactory(organization=acme.org, key=str(kpi.pk))
    legacy = KpiFactory(organization=acme.org, key="00000000-0000-4000-8000-000000000000")
    found = kpis_by_ref(org=acme.org, refs=[str(kpi.pk), legacy.key])
    assert found == {str(kpi.pk): kpi, legacy.key: legacy}
    assert impostor not in found.values()
    assert kpi_by_ref(org=acme.org, ref=legacy.key) == legacy


def test_another_organisations_kpi_is_not_found_by_id_or_key(acme, acme_cascade, globex):
    kpi = acme_cascade.kpi
    assert kpis_by_ref(org=globex.org, refs=[str(kpi.pk), kpi.key]) == {}
    assert kpi_by_ref(org=globex.org, ref=kpi.key) is None
