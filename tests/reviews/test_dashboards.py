from __future__ import annotations

import datetime as dt
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from reviews.dashboards import dashboard_get, exceptions_get
from tests.factories import KpiFactory, MetricValueFactory, ObjectiveFactory, TargetFactory


def _without_attention(response) -> str:
    """The page without its "needs attention most" list, which names any KPI, key or not."""
    page = response.content.decode()
    return re.sub(
        r'<section class="card" aria-labelledby="attention-head">.*?</section>',
        "",
        page,
        flags=re.S,
    )


def test_the_executive_dashboard_shows_the_key_metrics(acme, acme_cascade, client_for):
    acme_cascade.kpi.is_key = True
    acme_cascade.kpi.save()
    KpiFactory(organization=acme.org, name="Not key", objective=acme_cascade.objective)
    page = _without_attention(client_for(acme.executive).get("/o/acme/dashboard/"))
    assert acme_cascade.kpi.name in page and "Not key" not in page
    assert "rag rag-amber" in page and "At risk" in page
    assert "Scorecard" in page


def test_more_than_seven_key_metrics_warns_instead_of_truncating(acme, acme_cascade, client_for):
    for i in range(8):
        KpiFactory(
            organization=acme.org, name=f"Key {i}", is_key=True, objective=acme_cascade.objective
        )
    page = client_for(acme.executive).get("/o/acme/dashboard/").content.decode()
    assert "8 metrics are marked key" in page
    assert all(f"Key {i}" in page for i in range(8))


def test_a_pin_adds_a_kpi_to_ones_own_dashboard_only(acme, acme_cascade, client_for):
    client = client_for(acme.member)
    kpi = KpiFactory(organization=acme.org, name="Pinned one", objective=acme_cascade.objective)
    response = client.post(f"/o/acme/kpis/{kpi.pk}/pin/", HTTP_HX_REQUEST="true")
    assert "Unpin" in response.content.decode() and response["Vary"].find("HX-Request") >= 0
    assert "Pinned one" in client.get("/o/acme/dashboard/?view=executive").content.decode()
    assert "Pinned one" not in _without_attention(
        client_for(acme.executive).get("/o/acme/dashboard/")
    )
    client.post(f"/o/acme/kpis/{kpi.pk}/pin/")
    assert "Pinned one" not in _without_attention(client.get("/o/acme/dashboard/?view=executive"))


def test_the_lead_dashboard_shows_this_weeks_checkin_status(acme, acme_cascade, client_for):
    objective = acme_cascade.objective
    today = timezone.localdate()
    objective.period_start, objective.period_end = (
        today - dt.timedelta(days=10),
        today + dt.timedelta(days=10),
    )
    objective.save()
    page = client_for(acme.lead).get("/o/acme/dashboard/").content.decode()
    assert "Lead dashboard" in page and objective.title in page and "missing" in page


def test_the_dashboard_never_shows_another_organisations_kpis(
    acme, acme_cascade, globex_cascade, client_for
):  # noqa: E501
    globex_cascade.kpi.is_key = True
    globex_cascade.kpi.save()
    page = client_for(acme.executive).get("/o/acme/dashboard/").content.decode()
    assert globex_cascade.kpi.name not in page


def test_exceptions_list_red_twice_off_stale_and_low_confidence(acme, acme_cascade):
    today = timezone.localdate()
    span = {
        "period_start": today - dt.timedelta(days=200),
        "period_end": today + dt.timedelta(days=30),
    }
    red = KpiFactory(
        organization=acme.org, name="Sinking", cadence="weekly", objective=acme_cascade.objective
    )
    TargetFactory(kpi=red, value=100, green_threshold=100, amber_threshold=90, **span)
    monday = today - dt.timedelta(days=today.weekday())
    MetricValueFactory(kpi=red, period_date=monday - dt.timedelta(weeks=1), value=50)
    MetricValueFactory(kpi=red, period_date=monday, value=40)
    exceptions = exceptions_get(org=acme.org)
    kinds = {(e.kind, e.title) for e in exceptions.items}
    assert ("red", "Sinking") in kinds and ("off_twice", "Sinking") in kinds
    assert ("stale", acme_cascade.kpi.name) in kinds
    details = {(e.kind, e.title): e.detail for e in exceptions.items}
    assert details["red", "Sinking"] == "40 against 100"
    assert details["stale", acme_cascade.kpi.name].startswith("last value for ")
    shown = [e.kind for e in exceptions.items]
    assert shown == sorted(shown, key=["red", "off_twice", "stale", "low_confidence"].index)
    assert ("red", acme_cascade.kpi.name) not in kinds  # amber is not an exception


def test_each_exception_links_to_the_kpi_and_to_what_its_owner_owns(acme, acme_cascade, client_for):  # noqa: E501
    kpi = KpiFactory(
        organization=acme.org,
        name="Churn",
        cadence="weekly",
        objective=acme_cascade.objective,
        outcome_owner=acme.lead.user,
    )
    page = client_for(acme.executive).get("/o/acme/exceptions/").content.decode()
    row = page[page.index("Churn") - 200 : page.index("Churn") + 400]
    assert f'href="/o/acme/kpis/{kpi.pk}/"' in row  # stale: no value yet
    assert f'href="/o/acme/explorer/?owner={acme.lead.user.username}"' in row
    username = acme.lead.user.username
    explorer = client_for(acme.executive).get(f"/o/acme/explorer/?owner={username}")
    assert f'<option value="{username}" selected>' in explorer.content.decode()


def grow(world, cascade, n: int) -> None:
    for i in range(n):
        objective = ObjectiveFactory(
            organization=world.org,
            team=world.sales,
            owner=world.lead.user,
            priority=cascade.priority,
        )
        kpi = KpiFactory(organization=world.org, objective=objective, is_key=True)
        MetricValueFactory(kpi=kpi, value=i)
        TargetFactory(kpi=kpi)


@pytest.mark.parametrize(
    "url",
    [
        "/o/acme/dashboard/",
        "/o/acme/dashboard/?view=executive",
        "/o/acme/dashboard/?view=lead",
        "/o/acme/dashboard/?view=finance",
        "/o/acme/dashboard/?view=member",
        "/o/acme/exceptions/",
    ],
)
def test_dashboards_cost_the_same_queries_at_any_size(acme, acme_cascade, client_for, url):
    client = client_for(acme.lead)
    grow(acme, acme_cascade, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(acme, acme_cascade, 15)
    with CaptureQueriesContext(connection) as big:
        assert client.get(url).status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries)


def test_dashboard_selector_picks_financial_kpis_for_finance(acme, acme_cascade):
    acme_cascade.kpi.is_key = True
    acme_cascade.kpi.save()
    board = dashboard_get(org=acme.org, membership=acme.finance, view="finance")
    assert [c.status.kpi for c in board.cards] == [acme_cascade.kpi]  # its priority is financial


def test_finance_sees_a_labelled_trend_forecast(acme, acme_cascade, client_for):
    kpi = acme_cascade.kpi
    kpi.is_key = True
    kpi.save()
    for month, value in ((1, 60), (2, 70), (3, 80), (4, 90)):
        MetricValueFactory(kpi=kpi, period_date=dt.date(2026, month, 1), value=value)
    page = client_for(acme.finance).get("/o/acme/dashboard/?view=finance").content.decode()
    assert "Trend forecast for 31 Dec" in page and "linear projection" in page
    assert 'id="attainment-data"' in page


def test_a_team_without_key_kpis_shows_its_outcomes_to_the_lead(acme, acme_cascade):
    lead_kpi = KpiFactory(organization=acme.org, kind="lead", objective=acme_cascade.objective)
    board = dashboard_get(org=acme.org, membership=acme.lead, view="lead")
    assert [c.status.kpi for c in board.cards] == [acme_cascade.kpi]
    lead_kpi.is_key = True
    lead_kpi.save()
    board = dashboard_get(org=acme.org, membership=acme.lead, view="lead")
    assert [c.status.kpi for c in board.cards] == [lead_kpi]


def test_the_kpi_page_costs_the_same_queries_at_any_history(acme, acme_cascade, client_for):
    client = client_for(acme.admin)
    url = f"/o/acme/kpis/{acme_cascade.kpi.pk}/"
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    for month in range(1, 13):
        MetricValueFactory(kpi=acme_cascade.kpi, period_date=dt.date(2025, month, 1), value=month)
    with CaptureQueriesContext(connection) as big:
        assert client.get(url).status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries)


def test_the_lead_view_lists_only_the_work_of_teams_one_leads(acme, acme_cascade):
    objective = acme_cascade.objective
    today = timezone.localdate()
    objective.period_start = today - dt.timedelta(days=10)
    objective.period_end = today + dt.timedelta(days=10)
    objective.save()
    board = dashboard_get(org=acme.org, membership=acme.lead, view="lead")
    assert [o for o, _ in board.objectives] == [objective]
    # A member of the same team may open the lead view, but leads nothing.
    assert dashboard_get(org=acme.org, membership=acme.member, view="lead").objectives == []


def test_the_exceptions_count_counts_each_kpi_once_however_many_reasons(acme, client_for):
    with acme.scope():
        kpi = KpiFactory(organization=acme.org, name="Twice over", direction="higher")
        TargetFactory(kpi=kpi, period_start=dt.date(2020, 1, 1), period_end=dt.date(2030, 12, 31))
        # Two old values far below target: red, missed twice running, and stale since.
        for month in (1, 2):
            MetricValueFactory(kpi=kpi, period_date=dt.date(2025, month, 1), value=10)
    found = exceptions_get(org=acme.org)
    assert sorted(item.kind for item in found.items) == ["off_twice", "red", "stale"]
    assert found.item_count == 1
    board = dashboard_get(org=acme.org, membership=acme.executive, view="executive")
    assert board.exceptions == 1
    page = client_for(acme.executive).get("/o/acme/exceptions/").content.decode()
    assert "<strong>1 KPI or objective</strong> needs attention, for 3 reasons" in page
    assert 'class="tag kind-red"' in page
