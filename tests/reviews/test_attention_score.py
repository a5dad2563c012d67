"""reviews.attention's score: the signals that fire, their weights, and the order they give."""

from __future__ import annotations

import datetime as dt

import pytest
from django.template.loader import render_to_string
from django.test import override_settings
from django.utils import timezone
from django_scopes import scopes_disabled

from metrics.forecasting.services import kpi_forecast_refresh
from metrics.models import KpiLink
from metrics.selectors import kpi_statuses
from metrics.services import target_set
from perfmgmt.periods import current_week, last_closed_month
from reviews.attention import (
    Kind,
    kpi_scores,
    objective_attainment,
    objective_scores,
    recent_for_attention,
)
from reviews.dashboards import exceptions_get
from reviews.packs.data import pack_data
from reviews.services import checkin_submit, meeting_create
from tests.factories import KpiFactory, MetricValueFactory, TargetFactory


@pytest.fixture
def running(acme, acme_cascade):
    objective = acme_cascade.objective
    today = timezone.localdate()
    objective.period_start = today - dt.timedelta(days=400)
    objective.period_end = today + dt.timedelta(days=60)
    objective.save()
    return objective


def _kpi(world, objective, name, values, *, weeks_back=0, confidence="reconciled", target=True):
    """A weekly KPI, target 100 (amber at 90) for the objective's period, with `values` oldest
    first, the newest `weeks_back` weeks before this week."""
    kpi = KpiFactory(organization=world.org, name=name, objective=objective, cadence="weekly")
    if target:
        TargetFactory(
            kpi=kpi,
            value=100,
            green_threshold=100,
            amber_threshold=90,
            period_start=objective.period_start,
            period_end=objective.period_end,
        )
    monday = current_week(world.org) - dt.timedelta(weeks=weeks_back)
    for weeks_ago, value in enumerate(reversed(values)):
        MetricValueFactory(
            kpi=kpi,
            period_date=monday - dt.timedelta(weeks=weeks_ago),
            value=value,
            confidence=confidence,
        )
    return kpi


def _link(lead, lag):
    with scopes_disabled():
        KpiLink.objects.create(organization=lead.organization, lead=lead, lag=lag)


def _scores(world, kpis):
    recent = recent_for_attention(org=world.org, kpi_ids=[k.pk for k in kpis])
    statuses = list(kpi_statuses(org=world.org, kpis=kpis, recent=recent).values())
    return statuses, kpi_scores(org=world.org, statuses=statuses)


def test_the_exceptions_list_ranks_a_kpi_whose_lead_deteriorates_above_a_stale_one(
    acme, running, client_for
):
    revenue = _kpi(acme, running, "Revenue", [101, 102, 103])  # on target itself
    pipeline = _kpi(acme, running, "Pipeline", [130, 120, 110], target=False)
    _link(pipeline, revenue)
    _kpi(acme, running, "Headcount", [101, 102, 103], weeks_back=3)  # merely stale

    items = exceptions_get(org=acme.org).items
    titles = [item.title for item in items]
    assert titles.index("Revenue") < titles.index("Headcount")
    revenue_row = next(item for item in items if item.title == "Revenue")
    assert revenue_row.kind == Kind.LEAD_DETERIORATING
    assert revenue_row.detail == "its lead Pipeline is worse three periods running: 130 → 120 → 110"
    assert revenue_row.score == 2.5 and revenue_row.why == "Lead KPI deteriorating (2.5)"
    stale_row = next(item for item in items if item.title == "Headcount")
    assert (stale_row.kind, stale_row.score) == (Kind.STALE, 1.0)

    page = client_for(acme.executive).get("/o/acme/exceptions/").content.decode()
    assert page.index("its lead Pipeline is worse") < page.index("Headcount")
    assert "Lead KPI deteriorating (2.5)" in page


def test_a_steady_decline_is_forecast_to_miss_before_the_period_ends(acme, running):
    # Still on target today, falling 2 a week: about 75 by the period end, eight weeks away.
    sliding = _kpi(acme, running, "Sliding", [150 - 2 * t for t in range(24)])
    kpi_forecast_refresh(org=acme.org, kpi_id=sliding.pk)
    statuses, scores = _scores(acme, [sliding])
    assert statuses[0].rag == "green"
    (signal,) = [s for s in scores[sliding.pk].signals if s.kind == Kind.FORECAST_MISS]
    assert signal.detail.startswith("will miss: forecast ")
    assert 2.9 <= signal.points <= 3.0  # the weight, times the near-certain chance of missing


def test_weights_are_settings(acme, running):
    _kpi(acme, running, "Old", [101, 102, 103], weeks_back=3)
    with override_settings(ATTENTION_WEIGHTS={"stale": 7.5}):
        items = exceptions_get(org=acme.org).items
    assert [(i.kind, i.score) for i in items if i.title == "Old"] == [(Kind.STALE, 7.5)]


def test_estimates_and_a_moved_target_add_their_signals(acme, running):
    guessed = _kpi(acme, running, "Guessed", [101, 102, 103], confidence="estimate")
    target_set(
        org=acme.org,
        actor=acme.admin,
        kpi=guessed,
        period_start=running.period_start,
        period_end=running.period_end,
        value=90,
    )
    _, scores = _scores(acme, [guessed])
    fired = {s.kind: s for s in scores[guessed.pk].signals}
    assert set(fired) == {Kind.ESTIMATES, Kind.TARGET_MOVED}
    assert fired[Kind.ESTIMATES].detail == "3 of its last 3 values are estimates"
    assert "from 100 to 90" in fired[Kind.TARGET_MOVED].detail
    assert scores[guessed.pk].total == 1.5


def test_an_on_track_check_in_over_red_numbers_is_the_story_disagreeing(acme, running):
    red = _kpi(acme, running, "Signups", [50, 50, 50])
    checkin_submit(
        org=acme.org,
        actor=acme.lead,
        objective=running,
        week_start=current_week(acme.org),
        status="on_track",
        progress=90,
        confidence=8,
        reason="",
    )
    statuses, scores = _scores(acme, [red])
    assert objective_attainment(statuses) == 0.5
    (found,) = [o for o in objective_scores(org=acme.org, statuses=statuses, scores=scores)]
    assert [s.kind for s in found.score.signals] == [Kind.STORY_DISAGREES]
    assert found.score.signals[0].detail == (
        "check-in says on track, 90 % done; its KPIs reach 50% of target"
    )
    assert found.total == pytest.approx(2.0 + scores[red.pk].total)
    rows = [i for i in exceptions_get(org=acme.org).items if i.kind == Kind.STORY_DISAGREES]
    assert rows[0].title == running.title


def test_scores_read_the_organisations_own_links_only(acme, running, globex, globex_cascade):
    revenue = _kpi(acme, running, "Revenue", [101, 102, 103])
    theirs = _kpi(globex, globex_cascade.objective, "Theirs", [130, 120, 110], target=False)
    _link(theirs, KpiFactory(organization=globex.org, objective=globex_cascade.objective))
    _, scores = _scores(acme, [revenue])
    assert scores[revenue.pk].signals == ()


def test_the_agenda_ranks_by_the_score_and_names_the_signals(acme, running, client_for):
    revenue = _kpi(acme, running, "Revenue", [101, 102, 103])
    pipeline = _kpi(acme, running, "Pipeline", [130, 120, 110], target=False)
    _link(pipeline, revenue)
    _kpi(acme, running, "Headcount", [101, 102, 103], weeks_back=3)
    meeting = meeting_create(
        org=acme.org, actor=acme.executive, kind="monthly", held_on=timezone.localdate()
    )
    ranked = [item["title"] for item in meeting.agenda["attention"]]
    assert ranked.index("Revenue") < ranked.index("Headcount")
    first = next(i for i in meeting.agenda["attention"] if i["title"] == "Revenue")
    assert first["signals"][0]["detail"].startswith("its lead Pipeline is worse")
    stale = [i["title"] for i in meeting.agenda["stale_kpis"]]
    assert "Headcount" in stale
    page = client_for(acme.executive).get(f"/o/acme/reviews/{meeting.pk}/").content.decode()
    assert 'id="agenda-attention"' in page and "its lead Pipeline is worse" in page


def test_the_executive_dashboard_lists_the_highest_scores_first(acme, running, client_for):
    revenue = _kpi(acme, running, "Revenue", [101, 102, 103])
    _link(_kpi(acme, running, "Pipeline", [130, 120, 110], target=False), revenue)
    _kpi(acme, running, "Headcount", [101, 102, 103], weeks_back=3)
    page = client_for(acme.executive).get("/o/acme/dashboard/?view=executive").content.decode()
    listed = page[page.index('id="dashboard-attention"') :]
    assert listed.index("Revenue") < listed.index("Headcount")
    assert "Lead KPI deteriorating (2.5)" in listed


def test_the_objective_page_shows_reported_progress_beside_the_kpis(acme, running, client_for):
    _kpi(acme, running, "Signups", [50, 50, 50])
    checkin_submit(
        org=acme.org, actor=acme.lead, objective=running, week_start=current_week(acme.org),
        status="on_track", progress=90, confidence=8, reason="",
    )  # fmt: skip
    page = client_for(acme.executive).get(f"/o/acme/objectives/{running.pk}/checkins/")
    html = page.content.decode()
    section = html[html.index('id="objective-progress"') :]
    assert "Reported by the owner: <strong>90 %, on track" in section
    assert "The check-in and the numbers disagree" in section


def test_the_pack_lists_targets_the_forecast_says_will_be_missed(acme, running):
    sliding = _kpi(acme, running, "Sliding", [150 - 2 * t for t in range(24)])
    kpi_forecast_refresh(org=acme.org, kpi_id=sliding.pk)
    data = pack_data(org=acme.org, month=last_closed_month(acme.org))
    (row,) = [o for o in data["outlooks"] if o["kpi"] == "Sliding"]
    assert row["outlook"] == "Will miss" and row["probability"] < 0.05
    html = render_to_string("reviews/pack_pdf.html", {"data": data})
    assert "Early warning: targets the forecast says are at risk" in html and "Sliding" in html
