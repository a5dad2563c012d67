from __future__ import annotations

from metrics.dashboards import _spark, key_kpis
from metrics.selectors import Reading
from tests.factories import KpiFactory, ObjectiveFactory


def test_the_lead_view_shows_the_key_kpis_of_the_team_the_lead_leads(acme, acme_cascade):
    acme_cascade.kpi.is_key = True
    acme_cascade.kpi.save()
    support = ObjectiveFactory(organization=acme.org, team=acme.support, owner=acme.admin.user)
    KpiFactory(organization=acme.org, objective=support, is_key=True)

    assert key_kpis(org=acme.org, membership=acme.lead, view="lead") == [acme_cascade.kpi]


def test_the_lead_view_shows_a_member_who_is_not_a_lead_no_team_kpis(acme, acme_cascade):
    acme_cascade.kpi.is_key = True
    acme_cascade.kpi.save()
    assert key_kpis(org=acme.org, membership=acme.member, view="lead") == []


def test_the_lead_view_never_shows_another_organisations_kpis(acme, acme_cascade, globex):
    assert key_kpis(org=globex.org, membership=globex.lead, view="lead") == []


def test_a_sparkline_spans_the_card_oldest_value_first(acme):
    readings = [Reading(None, None, value, "final") for value in (30.0, 10.0, 20.0)]  # newest first
    assert _spark(readings) == "0.0,15.0 50.0,28.0 100.0,2.0"
    assert _spark(readings[:1]) == ""
