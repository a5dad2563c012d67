from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from metrics.models import MetricValue
from perfmgmt.history import object_history
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from reviews import services
from reviews.models import ActionItem, CheckIn, ReviewMeeting


@pytest.fixture
def running(acme, acme_cascade):
    objective = acme_cascade.objective
    today = timezone.localdate()
    objective.period_start = today - dt.timedelta(days=60)
    objective.period_end = today + dt.timedelta(days=60)
    objective.save()
    return objective


def checkin_data(objective, **overrides) -> dict:
    prefix = str(objective.pk)
    data = {"status": "on_track", "progress": "30", "confidence": "8", "reason": ""}
    data.update(overrides)
    return {f"{prefix}-{k}": v for k, v in data.items()}


def test_the_checkin_page_offers_the_leads_objectives_and_their_kpis(
    acme, running, acme_cascade, client_for
):  # noqa: E501
    page = client_for(acme.lead).get("/o/acme/checkins/").content.decode()
    assert running.title in page
    assert f'name="{running.pk}-value_{acme_cascade.kpi.key}"' in page
    assert f'hx-post="/o/acme/checkins/{running.pk}/"' in page


def test_an_htmx_checkin_with_low_confidence_asks_why_and_saves_nothing(acme, running, client_for):  # noqa: E501
    response = client_for(acme.lead).post(
        f"/o/acme/checkins/{running.pk}/",
        checkin_data(running, confidence="2"),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200  # htmx swaps only 2xx
    assert "<html" not in body and "Say why" in body
    with org_scope(acme.org):
        assert not CheckIn.objects.exists()


def test_an_htmx_checkin_returns_the_card_with_the_new_history(acme, running, client_for):
    response = client_for(acme.lead).post(
        f"/o/acme/checkins/{running.pk}/",
        checkin_data(running, confidence="3", reason="Two deals slipped"),
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert "Check-in saved." in body and "Why: Two deals slipped" in body
    assert f'id="checkin-{running.pk}"' in body


def test_a_plain_post_checkin_redirects(acme, running, client_for):
    response = client_for(acme.lead).post(f"/o/acme/checkins/{running.pk}/", checkin_data(running))
    assert response.status_code == 302


def test_a_member_cannot_check_in_for_the_lead(acme, running, client_for):
    response = client_for(acme.member).post(
        f"/o/acme/checkins/{running.pk}/", checkin_data(running)
    )
    assert response.status_code == 403


def test_an_executive_creates_a_monthly_review_and_assigns_an_action(acme, running, client_for):  # noqa: E501
    client = client_for(acme.executive)
    response = client.post("/o/acme/reviews/", {"kind": "monthly", "held_on": "2026-11-20"})
    assert response.status_code == 302
    with org_scope(acme.org):
        meeting = ReviewMeeting.objects.get()
    page = client.get(response["Location"]).content.decode()
    assert running.title in page  # missing check-in on the agenda
    response = client.post(
        f"/o/acme/reviews/{meeting.pk}/",
        {
            "part": "action",
            "title": "Rebuild pipeline",
            "owner": acme.member.user.pk,
            "due_date": "2026-12-01",
        },
    )
    assert response.status_code == 302
    owe = client_for(acme.member).get("/o/acme/owe/").content.decode()
    assert "Rebuild pipeline" in owe
    with org_scope(acme.org):
        action = ActionItem.objects.get()
    done = client_for(acme.member).post(f"/o/acme/actions/{action.pk}/status/", {"status": "done"})
    assert done.status_code == 302
    action.refresh_from_db()
    assert action.status == "done"


def test_a_member_cannot_create_a_review(acme, client_for):
    response = client_for(acme.member).post(
        "/o/acme/reviews/", {"kind": "monthly", "held_on": "2026-11-20"}
    )
    assert response.status_code == 403


def test_the_missing_checkins_page_is_for_leads_and_executives(acme, running, client_for):
    assert (
        running.title
        in client_for(acme.executive).get("/o/acme/checkins/missing/").content.decode()
    )
    assert running.title in client_for(acme.lead).get("/o/acme/checkins/missing/").content.decode()
    assert client_for(acme.member).get("/o/acme/checkins/missing/").status_code == 403


def test_premortem_and_retrospective_side_by_side(acme, running, client_for):
    client = client_for(acme.lead)
    client.post(
        f"/o/acme/objectives/{running.pk}/risks/",
        {"description": "Churn spike", "likelihood": "high"},
    )
    page = client.get(f"/o/acme/objectives/{running.pk}/checkins/").content.decode()
    assert "Churn spike" in page and "Did it happen?" in page


def test_pages_name_people_by_full_name_else_username(acme, running, client_for):
    lead = acme.lead.user
    lead.first_name, lead.last_name = "Lena", "Lind"
    lead.save()
    page = client_for(acme.lead).get(f"/o/acme/objectives/{running.pk}/checkins/")
    assert "owner Lena Lind" in page.content.decode()
    lead.first_name = lead.last_name = ""
    lead.save()
    page = client_for(acme.lead).get(f"/o/acme/objectives/{running.pk}/checkins/")
    assert f"owner {lead.username}" in page.content.decode()


def _refuse(field: str, message: str):
    def refuse(**kwargs):
        raise ValidationError({field: message})

    return refuse


def test_a_risk_the_service_refuses_is_shown_with_a_400_not_a_500(
    acme, running, client_for, monkeypatch
):
    monkeypatch.setattr(services, "risk_add", _refuse("description", "Say what could fail."))
    response = client_for(acme.lead).post(
        f"/o/acme/objectives/{running.pk}/risks/",
        {"description": "Churn spike", "likelihood": "high"},
    )
    assert response.status_code == 400
    assert "Say what could fail." in response.content.decode()


def test_a_retrospective_the_service_refuses_is_shown_on_its_risk_with_a_400(
    acme, running, client_for, monkeypatch
):
    risk = services.risk_add(
        org=acme.org, actor=acme.lead, objective=running, description="Churn", likelihood="low"
    )
    monkeypatch.setattr(services, "risk_review", _refuse("learned", "Say what was learned."))
    response = client_for(acme.lead).post(
        f"/o/acme/risks/{risk.pk}/review/", {"outcome": "avoided", "learned": "Nothing"}
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "Say what was learned." in page and 'value="Nothing"' not in page  # a textarea
    assert "Nothing</textarea>" in page


def test_an_incomplete_risk_form_is_shown_again_with_a_400(acme, running, client_for):
    response = client_for(acme.lead).post(
        f"/o/acme/objectives/{running.pk}/risks/", {"likelihood": "high"}
    )
    assert response.status_code == 400
    assert "This field is required." in response.content.decode()
    with org_scope(acme.org):
        assert not running.risks.exists()


@pytest.fixture
def someone_elses_number(acme, running, acme_cascade):
    """This month's value of the lead's KPI, recorded by the member (its data owner)."""
    from metrics.models import MetricValue
    from perfmgmt.periods import cadence_period_start, current_week

    kpi = acme_cascade.kpi
    kpi.data_owner = acme.member.user
    kpi.save()
    month = cadence_period_start(kpi.cadence, current_week(acme.org))
    with org_scope(acme.org):
        MetricValue.objects.filter(kpi=kpi).delete()
        return MetricValue.objects.create(
            organization=acme.org,
            kpi=kpi,
            period_date=month,
            value=12.0,
            confidence="reconciled",
            recorded_by=acme.member.user,
        )


def test_the_checkin_shows_the_current_number_and_who_recorded_it(
    acme, running, acme_cascade, someone_elses_number, client_for
):
    page = client_for(acme.lead).get("/o/acme/checkins/").content.decode()
    key = acme_cascade.kpi.key
    assert f'name="{running.pk}-value_{key}" value="12.0"' in page
    assert "Now 12 (reconciled), recorded by" in page
    assert f'name="{running.pk}-replace_{key}"' in page


def test_a_checkin_never_silently_replaces_another_persons_number(
    acme, running, acme_cascade, someone_elses_number, client_for
):
    key, client = acme_cascade.kpi.key, client_for(acme.lead)
    refused = client.post(
        f"/o/acme/checkins/{running.pk}/", checkin_data(running, **{f"value_{key}": "30.95"})
    )
    assert refused.status_code == 400
    assert "recorded 12 (reconciled) for this period" in refused.content.decode()
    someone_elses_number.refresh_from_db()
    assert someone_elses_number.value == 12.0
    with org_scope(acme.org):
        assert not CheckIn.objects.filter(objective=running).exists()  # all or nothing
    same = client.post(
        f"/o/acme/checkins/{running.pk}/", checkin_data(running, **{f"value_{key}": "12"})
    )
    assert same.status_code == 302  # the number already stored: nothing to replace
    replaced = client.post(
        f"/o/acme/checkins/{running.pk}/",
        checkin_data(running, **{f"value_{key}": "13.5", f"replace_{key}": "on"}),
    )
    assert replaced.status_code == 302
    someone_elses_number.refresh_from_db()
    assert (someone_elses_number.value, someone_elses_number.recorded_by) == (13.5, acme.lead.user)
    replacing = object_history(org=acme.org, model=MetricValue, object_id=someone_elses_number.pk)
    assert [(f.old, f.new) for f in replacing[0].fields if f.name == "value"] == [(12.0, 13.5)]
    assert replacing[0].actor == display_name(acme.lead.user)
    reopened = client.get("/o/acme/checkins/").content.decode()
    assert f'name="{running.pk}-value_{key}" value="13.5"' in reopened


def test_the_checkin_starts_from_last_weeks_answer(acme, running, client_for):
    from perfmgmt.periods import current_week

    with org_scope(acme.org):
        CheckIn.objects.create(
            organization=acme.org,
            objective=running,
            author=acme.lead.user,
            week_start=current_week(acme.org) - dt.timedelta(days=7),
            status="at_risk",
            progress=40,
            confidence=5,
        )
    page = client_for(acme.lead).get("/o/acme/checkins/").content.decode()
    assert f'value="at_risk" required id="id_{running.pk}-status_1" checked>' in page
    assert f'name="{running.pk}-progress" value="40"' in page


def test_an_overdue_action_reads_overdue_on_the_review_page_as_in_what_i_owe(acme, client_for):
    meeting = services.meeting_create(
        org=acme.org, actor=acme.executive, kind="monthly", held_on=dt.date(2026, 10, 7)
    )
    services.action_create(
        org=acme.org,
        actor=acme.executive,
        meeting=meeting,
        title="Call the churned logos",
        owner=acme.lead.user,
        due_date=dt.date(2026, 10, 15),
    )
    page = client_for(acme.executive).get(f"/o/acme/reviews/{meeting.pk}/").content.decode()
    row = page[page.index("Call the churned logos") :][:400]
    assert "15 Oct 2026" in row and "Overdue" in row and ">Open<" not in row
    owe = client_for(acme.lead).get("/o/acme/owe/").content.decode()
    assert "15 Oct 2026" in owe and "overdue" in owe
