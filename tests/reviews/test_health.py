"""The strategy health check: each check finds what it names, links to the fix, names fixers."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone
from django_scopes import scopes_disabled

from metrics.models import KpiLink, LinkEvidence
from metrics.services import target_set
from perfmgmt.periods import last_closed_month
from perfmgmt.selectors import display_name
from reviews.health import CHECKS, strategy_health
from tests.factories import KpiFactory, MetricValueFactory, PriorityFactory, TargetFactory


@pytest.fixture
def running(acme, acme_cascade):
    objective = acme_cascade.objective
    today = timezone.localdate()
    objective.period_start = today - dt.timedelta(days=100)
    objective.period_end = today + dt.timedelta(days=60)
    objective.save()
    return objective


def _found(org, check):
    return [f for f in strategy_health(org=org).findings if f.check == check]


def test_more_than_five_active_priorities_is_a_finding_for_the_strategists(acme, running):
    for _ in range(5):
        PriorityFactory(organization=acme.org, owner=acme.executive.user)
    PriorityFactory(organization=acme.org, owner=acme.executive.user, is_active=False)
    (finding,) = _found(acme.org, "too_many_priorities")
    assert finding.title == "6 active priorities"
    assert finding.url == "/o/acme/explorer/"
    assert display_name(acme.executive.user) in finding.fixers
    assert display_name(acme.admin.user) in finding.fixers


def test_more_than_seven_key_metrics_on_a_dashboard(acme, running):
    for i in range(8):
        KpiFactory(organization=acme.org, name=f"Key {i}", is_key=True, objective=running)
    titles = [f.title for f in _found(acme.org, "too_many_key_metrics")]
    assert titles == [
        "8 key metrics on the dashboard of the organisation",
        "8 key metrics on the dashboard of team Sales",
    ]


def test_kpis_without_target_objective_or_recent_value(acme, running):
    bare = KpiFactory(organization=acme.org, name="Bare", objective=None)
    assert [f.url for f in _found(acme.org, "kpi_without_target") if f.title == "Bare"] == [
        f"/o/acme/kpis/{bare.pk}/target/"
    ]
    assert [f.title for f in _found(acme.org, "kpi_without_objective")] == ["Bare"]
    stale = [f for f in _found(acme.org, "kpi_without_recent_value") if f.title == "Bare"]
    assert stale[0].detail == "No value yet." and stale[0].url.endswith("/values/new/")
    assert stale[0].fixers == [display_name(bare.data_owner)]


def test_objectives_on_an_inactive_priority(acme, running):
    running.priority.is_active = False
    running.priority.save()
    (finding,) = _found(acme.org, "objective_inactive_priority")
    assert finding.title == running.title
    assert finding.url == f"/o/acme/objectives/{running.pk}/edit/"


def test_lag_kpis_without_lead_and_unsupported_leads(acme, running):
    lag = KpiFactory(organization=acme.org, name="Churn", kind="lag", objective=running)
    lead = KpiFactory(organization=acme.org, name="Horoscope", kind="lead", objective=running)
    assert "Churn" in [f.title for f in _found(acme.org, "lag_without_lead")]
    with scopes_disabled():
        link = KpiLink.objects.create(organization=acme.org, lead=lead, lag=lag)
        LinkEvidence.objects.create(
            organization=acme.org, link=link, verdict="not_supported", cadence="monthly",
            n_points=30, note="No lag 0–12 correlates beyond chance (p = 0.71).", inputs_digest="x",
        )  # fmt: skip
    assert "Churn" not in [f.title for f in _found(acme.org, "lag_without_lead")]
    (finding,) = _found(acme.org, "lead_not_supported")
    assert finding.title == "Horoscope → Churn" and "p = 0.71" in finding.detail
    assert finding.url == "/o/acme/lead-lag/"


def test_a_target_moved_during_its_period(acme, running):
    kpi = KpiFactory(organization=acme.org, name="Moved", objective=running)
    period = {"period_start": running.period_start, "period_end": running.period_end}
    TargetFactory(kpi=kpi, **period)
    target_set(org=acme.org, actor=acme.admin, kpi=kpi, value=80, **period)
    assert [f.title for f in _found(acme.org, "target_moved")] == ["Moved"]


def test_teams_with_missing_check_ins_name_the_lead(acme, running):
    (finding,) = _found(acme.org, "missing_checkins")
    assert finding.title == "Sales" and running.title in finding.detail
    assert display_name(acme.lead.user) in finding.fixers
    assert finding.url == "/o/acme/checkins/missing/"


def test_a_month_of_mostly_estimates(acme, running):
    month = last_closed_month(acme.org)
    for i in range(3):
        kpi = KpiFactory(organization=acme.org, objective=running)
        MetricValueFactory(kpi=kpi, period_date=month, confidence="estimate" if i else "audited")
    (finding,) = _found(acme.org, "mostly_estimates")
    assert finding.detail == "2 of its 3 values are only estimates."


def test_the_page_and_the_api_show_the_same_findings(acme, running, globex, client_for):
    KpiFactory(organization=globex.org, name="Theirs", objective=None)
    client = client_for(acme.executive)
    page = client.get("/o/acme/health/").content.decode()
    assert all(check.label in page for check in CHECKS)
    assert "Theirs" not in page
    body = client.get("/api/v1/o/acme/health/").json()
    assert {(f["check"], f["title"]) for f in body} == {
        (f.check, f.title) for f in strategy_health(org=acme.org).findings
    }
    assert all(f["url"].startswith("http://testserver/o/acme/") for f in body)
    assert client_for(globex.executive).get("/api/v1/o/acme/health/").status_code == 404
