from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from metrics.models import MetricValue
from perfmgmt.history import object_history
from perfmgmt.periods import current_week
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope
from reviews.models import CheckIn
from reviews.selectors import agenda_build, what_i_owe
from reviews.services import (
    KpiValueIn,
    action_create,
    action_status_set,
    checkin_submit,
    meeting_create,
    risk_add,
    risk_review,
)
from tests.factories import KpiFactory, MetricValueFactory, ObjectiveFactory, TargetFactory


@pytest.fixture
def running(acme, acme_cascade):
    """The cascade's objective, made to run through this quarter."""
    objective = acme_cascade.objective
    today = timezone.localdate()
    objective.period_start = today - dt.timedelta(days=60)
    objective.period_end = today + dt.timedelta(days=60)
    objective.save()
    return objective


def submit(world, objective, **overrides):
    fields = {
        "status": "on_track",
        "progress": 40,
        "confidence": 7,
        "week_start": current_week(world.org),
        **overrides,
    }
    return checkin_submit(
        org=world.org,
        actor=overrides.pop("actor", world.lead),
        objective=objective,
        **{k: v for k, v in fields.items() if k != "actor"},
    )  # noqa: E501


def test_the_lead_checks_in_once_a_week_and_edits_are_audited(acme, running):
    first = submit(acme, running)
    second = submit(acme, running, confidence=6, next_steps="Call the five biggest accounts")
    assert first.pk == second.pk
    with org_scope(acme.org):
        assert CheckIn.objects.count() == 1
    edit, created = object_history(org=acme.org, model=CheckIn, object_id=second.pk)
    assert (created.action, created.data["confidence"]) == ("insert", 7)
    assert edit.action == "update" and second.confidence == 6
    assert {f.name: (f.old, f.new) for f in edit.fields}["confidence"] == (7, 6)
    assert edit.actor == display_name(acme.lead.user)


@pytest.mark.parametrize(
    ("confidence", "status"), [(4, "on_track"), (0, "at_risk"), (8, "off_track")]
)
def test_low_confidence_or_off_track_demands_a_reason(acme, running, confidence, status):
    with pytest.raises(ValidationError) as error:
        submit(acme, running, confidence=confidence, status=status)
    assert "reason" in error.value.message_dict
    submit(acme, running, confidence=confidence, status=status, reason="Two deals slipped")


def test_a_closed_week_is_locked(acme, running):
    last_week = current_week(acme.org) - dt.timedelta(days=7)
    with pytest.raises(ValidationError) as error:
        submit(acme, running, week_start=last_week)
    assert "locked" in error.value.message_dict["week_start"][0]


def test_a_future_week_or_a_mid_week_date_is_refused(acme, running):
    with pytest.raises(ValidationError):
        submit(acme, running, week_start=current_week(acme.org) + dt.timedelta(days=7))
    with pytest.raises(ValidationError):
        submit(acme, running, week_start=current_week(acme.org) + dt.timedelta(days=1))


@pytest.mark.parametrize("role", ["member", "viewer", "finance", "executive"])
def test_only_the_owner_or_lead_checks_in(acme, running, role):
    with pytest.raises(PermissionDenied):
        submit(acme, running, actor=getattr(acme, role))


def test_a_checkin_on_another_organisations_objective_is_refused(acme, globex_cascade):
    with pytest.raises(ValidationError):
        submit(acme, globex_cascade.objective)


def test_kpi_values_go_in_with_the_checkin_or_not_at_all(acme, running, acme_cascade):
    kpi = acme_cascade.kpi  # monthly, owned by the lead
    submit(acme, running, values=[KpiValueIn(kpi=kpi, value=101.5)])
    with org_scope(acme.org):
        value = MetricValue.objects.get(kpi=kpi, period_date=current_week(acme.org).replace(day=1))
    assert value.value == 101.5 and value.recorded_by == acme.lead.user
    with pytest.raises(ValidationError):
        submit(acme, running, confidence=9, values=[KpiValueIn(kpi=kpi, value=float("nan"))])
    with org_scope(acme.org):
        assert CheckIn.objects.get().confidence == 7  # the whole check-in was rolled back


def test_the_agenda_picks_exactly_the_right_items(acme, running, acme_cascade):
    today = timezone.localdate()
    quarter = {
        "period_start": today - dt.timedelta(days=400),
        "period_end": today + dt.timedelta(days=30),
    }
    red = KpiFactory(organization=acme.org, name="Red revenue", objective=running, cadence="weekly")
    TargetFactory(kpi=red, value=100, green_threshold=100, amber_threshold=90, **quarter)
    worsening = KpiFactory(
        organization=acme.org, name="Sliding NPS", objective=running, cadence="weekly"
    )
    TargetFactory(kpi=worsening, value=10, green_threshold=10, amber_threshold=5, **quarter)
    monday = current_week(acme.org)
    for weeks_ago, (r, w) in enumerate([(60, 30), (55, 40), (50, 50)], start=1):
        day = monday - dt.timedelta(weeks=weeks_ago)
        MetricValueFactory(kpi=red, period_date=day, value=r)
        MetricValueFactory(kpi=worsening, period_date=day, value=w)
    doubting = ObjectiveFactory(
        organization=acme.org,
        team=acme.sales,
        owner=acme.lead.user,
        priority=running.priority,
        title="Doubtful",
        **quarter,
    )
    submit(acme, doubting, confidence=3, reason="Hiring freeze")
    overdue = action_create(
        org=acme.org,
        actor=acme.admin,
        title="Old promise",
        owner=acme.member.user,
        due_date=today - dt.timedelta(days=3),
        kpi=worsening,
    )
    agenda = agenda_build(org=acme.org)
    assert [(i["title"], i["no_open_action"]) for i in agenda.red_kpis] == [("Red revenue", True)]
    assert [i["title"] for i in agenda.deteriorating_kpis] == ["Sliding NPS"]
    assert [i["title"] for i in agenda.low_confidence] == ["Doubtful"]
    # The cascade's monthly KPI last had a value in June: stale. The weekly ones are current.
    assert [i["title"] for i in agenda.stale_kpis] == [acme_cascade.kpi.name]
    assert [i["title"] for i in agenda.missing_checkins] == [running.title]
    assert [i["action"] for i in agenda.overdue_actions] == [str(overdue.pk)]
    # With an open action on it, the red KPI is no longer flagged.
    action_create(
        org=acme.org,
        actor=acme.admin,
        title="Fix",
        owner=acme.lead.user,
        due_date=today + dt.timedelta(days=7),
        kpi=red,
    )
    assert agenda_build(org=acme.org).red_kpis[0]["no_open_action"] is False


def test_a_team_review_looks_at_that_team_only(acme, running):
    other = ObjectiveFactory(
        organization=acme.org,
        team=acme.support,
        owner=acme.admin.user,
        priority=running.priority,
        period_start=running.period_start,
        period_end=running.period_end,
    )
    titles = [i["title"] for i in agenda_build(org=acme.org, team=acme.support).missing_checkins]
    assert titles == [other.title]


def test_a_monthly_review_stores_its_agenda(acme, running):
    meeting = meeting_create(
        org=acme.org, actor=acme.executive, kind="monthly", held_on=timezone.localdate()
    )
    assert meeting.agenda["missing_checkins"][0]["title"] == running.title


@pytest.mark.parametrize(
    ("role", "kind", "team", "allowed"),
    [
        ("finance", "monthly", None, True),
        ("finance", "weekly", "sales", False),
        ("lead", "weekly", "sales", True),
        ("lead", "weekly", "support", False),
        ("lead", "monthly", None, False),
        ("member", "monthly", None, False),
    ],
)
def test_who_runs_which_review(acme, role, kind, team, allowed):
    kwargs = {
        "org": acme.org,
        "actor": getattr(acme, role),
        "kind": kind,
        "held_on": timezone.localdate(),
        "team": getattr(acme, team) if team else None,
    }
    if allowed:
        meeting_create(**kwargs)
    else:
        with pytest.raises(PermissionDenied):
            meeting_create(**kwargs)


def test_a_weekly_review_needs_a_team(acme):
    with pytest.raises(ValidationError):
        meeting_create(org=acme.org, actor=acme.admin, kind="weekly", held_on=timezone.localdate())


def test_an_assigned_action_appears_in_its_owners_list(acme, running):
    meeting = meeting_create(
        org=acme.org, actor=acme.executive, kind="monthly", held_on=timezone.localdate()
    )
    action = action_create(
        org=acme.org,
        actor=acme.executive,
        meeting=meeting,
        title="Rebuild the pipeline",
        owner=acme.member.user,
        due_date=timezone.localdate(),
        objective=running,
    )
    assert [a.pk for a in what_i_owe(org=acme.org, user=acme.member.user).actions] == [action.pk]
    action_status_set(org=acme.org, actor=acme.member, action=action, status="done")
    assert what_i_owe(org=acme.org, user=acme.member.user).actions == []


def test_an_action_owner_must_be_a_member(acme, globex):
    with pytest.raises(ValidationError) as error:
        action_create(
            org=acme.org,
            actor=acme.admin,
            title="x",
            owner=globex.admin.user,
            due_date=timezone.localdate(),
        )
    assert "owner" in error.value.message_dict


def test_the_lead_owes_this_weeks_checkin_until_it_is_done(acme, running):
    assert [o.pk for o in what_i_owe(org=acme.org, user=acme.lead.user).checkins] == [running.pk]
    submit(acme, running)
    assert what_i_owe(org=acme.org, user=acme.lead.user).checkins == []


def test_a_premortem_risk_is_answered_in_the_retrospective(acme, running):
    risk = risk_add(
        org=acme.org,
        actor=acme.lead,
        objective=running,
        description="Key account churns",
        likelihood="medium",
        early_sign="No QBR booked",
    )
    with pytest.raises(ValidationError):
        risk_review(org=acme.org, actor=acme.lead, risk=risk, outcome="happened", learned="")
    risk = risk_review(
        org=acme.org,
        actor=acme.lead,
        risk=risk,
        outcome="partly",
        learned="Book QBRs in the first month",
    )
    assert risk.reviewed_at is not None and risk.outcome == "partly"
    with pytest.raises(PermissionDenied):
        risk_add(
            org=acme.org, actor=acme.viewer, objective=running, description="x", likelihood="low"
        )


def test_the_agenda_weighs_only_objectives_running_today_of_the_reviewed_team(acme, running):
    submit(acme, running, confidence=2, reason="Budget cut")
    assert [i["title"] for i in agenda_build(org=acme.org).low_confidence] == [running.title]
    assert agenda_build(org=acme.org, team=acme.support).low_confidence == []
    running.period_end = current_week(acme.org) - dt.timedelta(days=1)
    running.save()
    assert agenda_build(org=acme.org).low_confidence == []


def test_the_agenda_never_reads_another_organisations_objectives(acme, running, globex):
    submit(acme, running, confidence=2, reason="Budget cut")
    assert agenda_build(org=globex.org).low_confidence == []
