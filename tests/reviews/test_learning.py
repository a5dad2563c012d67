"""The learning loop: a missed period target asks its owner why; the agenda counts the causes;
three misses for measurement flag the definition."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.template.loader import render_to_string
from django.utils import timezone

from perfmgmt.periods import last_closed_month
from reviews.health import strategy_health
from reviews.learning import definition_review_due, miss_reason_record, miss_split, missed_periods
from reviews.packs.data import pack_data
from reviews.services import meeting_create
from tests.factories import KpiFactory, MetricValueFactory, TargetFactory


def _quarters(kpi, results):
    """A target of 100 (green at 100) per ended quarter, the newest last, each with its value."""
    today = timezone.localdate()
    end = today.replace(day=1) - dt.timedelta(days=1)
    periods = []
    for value in reversed(results):
        start = (end - dt.timedelta(days=80)).replace(day=1)
        TargetFactory(kpi=kpi, period_start=start, period_end=end, value=100, green_threshold=100,
                      amber_threshold=90)  # fmt: skip
        MetricValueFactory(kpi=kpi, period_date=start, value=value)
        periods.append(start)
        end = start - dt.timedelta(days=1)
    return list(reversed(periods))


@pytest.fixture
def churny(acme, acme_cascade):
    return KpiFactory(
        organization=acme.org, name="Renewals", objective=acme_cascade.objective,
        outcome_owner=acme.lead.user, cadence="monthly",
    )  # fmt: skip


def test_only_missed_ended_periods_ask_for_a_reason(acme, churny):
    missed, met = _quarters(churny, [80, 120])
    misses = missed_periods(org=acme.org, kpis=[churny])
    assert [m.period_start for m in misses] == [missed]
    assert misses[0].actual == 80 and misses[0].reason is None
    with pytest.raises(ValidationError) as caught:
        miss_reason_record(
            org=acme.org, actor=acme.lead, kpi=churny, period_start=met,
            cause="execution", next_step="Nothing",
        )  # fmt: skip
    assert "period_start" in caught.value.message_dict


def test_the_owner_records_why_and_a_correction_replaces_it(acme, churny):
    (start,) = _quarters(churny, [70])
    first = miss_reason_record(
        org=acme.org, actor=acme.lead, kpi=churny, period_start=start,
        cause="execution", next_step="Hire two reps by March",
    )  # fmt: skip
    again = miss_reason_record(
        org=acme.org, actor=acme.lead, kpi=churny, period_start=start,
        cause="strategy", next_step="Drop the discount plan",
    )  # fmt: skip
    assert again.pk == first.pk and again.cause == "strategy" and again.target_value == 100
    assert miss_split(missed_periods(org=acme.org, kpis=[churny])) == {
        "execution": 0, "strategy": 1, "measurement": 0, "unexplained": 0,
    }  # fmt: skip


@pytest.mark.parametrize(
    ("cause", "next_step", "field"),
    [("luck", "Try again", "cause"), ("execution", "   ", "next_step")],
)
def test_bad_input_names_the_field(acme, churny, cause, next_step, field):
    (start,) = _quarters(churny, [70])
    with pytest.raises(ValidationError) as caught:
        miss_reason_record(
            org=acme.org, actor=acme.lead, kpi=churny, period_start=start,
            cause=cause, next_step=next_step,
        )  # fmt: skip
    assert field in caught.value.message_dict


def test_someone_else_cannot_record_it_and_another_org_cannot_see_it(acme, churny, globex):
    (start,) = _quarters(churny, [70])
    with pytest.raises(PermissionDenied) as caught:
        miss_reason_record(
            org=acme.org, actor=acme.member, kpi=churny, period_start=start,
            cause="execution", next_step="x",
        )  # fmt: skip
    assert "outcome owner" in str(caught.value)
    with pytest.raises(ValidationError):
        miss_reason_record(
            org=globex.org, actor=globex.admin, kpi=churny, period_start=start,
            cause="execution", next_step="x",
        )  # fmt: skip
    assert missed_periods(org=globex.org, kpis=[churny]) == []


def test_three_misses_for_measurement_flag_the_definition_and_the_agenda_shows_it(
    acme, churny, client_for
):
    starts = _quarters(churny, [70, 60, 50, 40])
    for start in starts[:3]:
        miss_reason_record(
            org=acme.org, actor=acme.lead, kpi=churny, period_start=start,
            cause="measurement", next_step="Fix the CRM export",
        )  # fmt: skip
    assert definition_review_due(org=acme.org, kpi_ids=[churny.pk]) == {churny.pk: 3}
    meeting = meeting_create(
        org=acme.org, actor=acme.executive, kind="monthly", held_on=timezone.localdate()
    )
    assert meeting.agenda["miss_split"]["measurement"] == 3
    assert meeting.agenda["miss_split"]["unexplained"] == 1
    assert [i["title"] for i in meeting.agenda["definition_review"]] == ["Renewals"]
    page = client_for(acme.executive).get(f"/o/acme/reviews/{meeting.pk}/").content.decode()
    assert "3 measurement, 1 not explained yet" in page and "review its definition" in page


def test_the_page_records_a_reason_and_rejects_bad_input_without_500(acme, churny, client_for):
    (start,) = _quarters(churny, [70])
    client = client_for(acme.lead)
    url = f"/o/acme/kpis/{churny.pk}/misses/"
    assert "Not explained yet" in client.get(url).content.decode()
    bad = client.post(url, {"period_start": "not a date", "cause": "execution", "next_step": "x"})
    assert bad.status_code == 400
    wrong = client.post(url, {"period_start": "2001-01-01", "cause": "execution", "next_step": "x"})
    assert wrong.status_code == 400 and "did not miss a target" in wrong.content.decode()
    response = client.post(
        url, {"period_start": start.isoformat(), "cause": "execution", "next_step": "Two reps"}
    )
    assert response.status_code == 302
    page = client.get(url).content.decode()
    assert "Execution: the plan was right" in page and "Next: Two reps" in page


def test_the_pack_shows_the_misses_and_their_split(acme, churny):
    starts = _quarters(churny, [70, 60])
    miss_reason_record(
        org=acme.org, actor=acme.lead, kpi=churny, period_start=starts[0],
        cause="strategy", next_step="Drop the discount plan",
    )  # fmt: skip
    month = last_closed_month(acme.org)
    data = pack_data(org=acme.org, month=month)
    assert data["misses"]["split"] == {
        "execution": 0, "strategy": 1, "measurement": 0, "unexplained": 1,
    }  # fmt: skip
    causes = {m["cause"] for m in data["misses"]["items"] if m["kpi"] == "Renewals"}
    assert causes == {
        "Strategy: it was carried out, and did not move the number",
        "Not explained yet",
    }
    html = render_to_string("reviews/pack_pdf.html", {"data": data})
    assert "0 execution, 1 strategy, 0 measurement, 1 not explained yet" in html


def test_the_health_check_lists_a_definition_due_for_review(acme, churny):
    for start in _quarters(churny, [70, 60, 50]):
        miss_reason_record(
            org=acme.org, actor=acme.lead, kpi=churny, period_start=start,
            cause="measurement", next_step="Fix the export",
        )  # fmt: skip
    (finding,) = [
        f for f in strategy_health(org=acme.org).findings if f.check == "definition_review"
    ]
    assert finding.title == "Renewals" and finding.url == f"/o/acme/kpis/{churny.pk}/edit/"
