"""The people layer's services: who may write what, and what each write leaves behind."""

from __future__ import annotations

import datetime as dt
import http.server
import json
import threading

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from perfmgmt.tenancy import org_scope
from reviews.models import ActionItem, CheckIn
from reviews.people import competency_services, selectors, services
from reviews.people.models import (
    REMOVED,
    ImprovementPlan,
    PlanState,
    PrivateNote,
    Recognition,
    TalkingPoint,
    Visibility,
)
from tests.factories import KpiFactory, MetricValueFactory, TargetFactory
from tests.people.conftest import AGENDA


def _meeting_for(people, actor):
    return selectors.one_on_one_get(
        org=people.acme.org, actor=actor, one_on_one_id=people.meeting.pk
    )


# --- 1:1s


def test_only_the_persons_lead_holds_one_on_ones_with_them(people):
    org, acme = people.acme.org, people.acme
    for outsider in (people.other_lead, acme.admin, acme.executive, acme.member):
        with pytest.raises(PermissionDenied):
            services.one_on_one_schedule(
                org=org, actor=outsider, report=acme.member, scheduled_for=dt.date(2026, 12, 9)
            )


def test_a_lead_of_another_organisation_cannot_schedule_with_our_member(people, globex):
    with pytest.raises(ValidationError):
        services.one_on_one_schedule(
            org=globex.org,
            actor=globex.lead,
            report=people.acme.member,
            scheduled_for=dt.date(2026, 12, 9),
        )
    with pytest.raises(Http404):
        selectors.one_on_one_get(org=globex.org, actor=globex.lead, one_on_one_id=people.meeting.pk)


def test_holding_a_one_on_one_plans_the_next_and_carries_unticked_points(people):
    org, acme = people.acme.org, people.acme
    meeting = people.meeting
    done = services.talking_point_add(org=org, actor=acme.lead, meeting=meeting, text="Done one")
    services.talking_point_tick(
        org=org, actor=acme.member, meeting=meeting, point_id=done.pk, done=True
    )
    following = services.one_on_one_hold(org=org, actor=acme.lead, meeting=meeting)
    assert following.scheduled_for == meeting.scheduled_for + dt.timedelta(days=7)
    with org_scope(org):
        carried = list(TalkingPoint.objects.filter(one_on_one=following))
    assert [(p.text, p.carried_over) for p in carried] == [(AGENDA, True)]
    # twice is once: the second call finds the 1:1 held and returns the same next one
    assert services.one_on_one_hold(org=org, actor=acme.member, meeting=meeting) == following
    with pytest.raises(ValidationError, match="held"):
        services.talking_point_add(org=org, actor=acme.member, meeting=meeting, text="late")


def test_private_notes_are_one_per_side_and_kept_in_place(people):
    org, acme = people.acme.org, people.acme
    services.private_note_save(org=org, actor=acme.lead, meeting=people.meeting, text="v2")
    with org_scope(org):
        notes = dict(
            PrivateNote.objects.filter(one_on_one=people.meeting).values_list(
                "author__username", "text"
            )
        )
    assert notes["lena"] == "v2" and len(notes) == 2


def test_an_action_from_a_one_on_one_belongs_to_one_of_its_two_people(people):
    org, acme = people.acme.org, people.acme
    action = services.one_on_one_action_add(
        org=org,
        actor=acme.lead,
        meeting=people.meeting,
        title="Qualify three deals",
        owner=acme.member.user,
        due_date=dt.date(2026, 12, 14),
    )
    with org_scope(org):
        assert ActionItem.objects.get(pk=action.pk).owner == acme.member.user
        assert list(people.meeting.actions.all()) == [action]
    with pytest.raises(ValidationError):
        services.one_on_one_action_add(
            org=org,
            actor=acme.lead,
            meeting=people.meeting,
            title="Not theirs",
            owner=acme.finance.user,
            due_date=dt.date(2026, 12, 14),
        )


def test_talking_points_are_suggested_from_the_persons_data_to_the_lead_only(people):
    org, acme = people.acme.org, people.acme
    objective = people.kpi.objective
    with org_scope(org):
        CheckIn.objects.create(
            organization=org,
            objective=objective,
            week_start=dt.date(2026, 11, 16),
            author=acme.member.user,
            status="at_risk",
            progress=30,
            confidence=2,
            reason="Deals slipped",
        )
    texts = [
        s.text for s in selectors.suggested_points(org=org, actor=acme.lead, meeting=people.meeting)
    ]
    assert any(t.startswith("KPI Sam's deals: red") for t in texts)
    assert f"No check-in last week for {objective.title}" in texts
    assert f"Confidence 2/10 reported on {objective.title}" in texts
    praise = [t for t in texts if t.startswith("Praise from")]
    # public and manager-only praise reach the lead; the private one stays the person's
    assert len(praise) == 2 and not any("PRIVATE" in t for t in praise)
    assert selectors.suggested_points(org=org, actor=acme.member, meeting=people.meeting) == []
    services.talking_point_add(
        org=org, actor=acme.lead, meeting=people.meeting, text=texts[0], suggestion="kpi"
    )
    again = selectors.suggested_points(org=org, actor=acme.lead, meeting=people.meeting)
    assert texts[0] not in [s.text for s in again]


# --- recognition


def test_praise_needs_a_reason_another_person_and_is_limited_between_two_people(people):
    org, acme = people.acme.org, people.acme
    with pytest.raises(ValidationError, match="yourself"):
        services.recognition_give(
            org=org, actor=acme.lead, recipient=acme.lead.user, message="me", kpi=people.kpi
        )
    with pytest.raises(ValidationError, match="what it is for"):
        services.recognition_give(org=org, actor=acme.lead, recipient=acme.member.user, message="x")
    for _ in range(services.PRAISE_PAIR_LIMIT):
        services.recognition_give(
            org=org, actor=acme.lead, recipient=acme.member.user, message="ok", kpi=people.kpi
        )
    with pytest.raises(ValidationError, match="praised them"):
        services.recognition_give(
            org=org, actor=acme.lead, recipient=acme.member.user, message="more", kpi=people.kpi
        )


def test_praise_cannot_point_at_another_organisations_kpi(people, globex_cascade):
    with pytest.raises(ValidationError):
        services.recognition_give(
            org=people.acme.org,
            actor=people.acme.lead,
            recipient=people.acme.member.user,
            message="x",
            kpi=globex_cascade.kpi,
        )


@pytest.fixture
def webhook(settings):
    hits: list[dict] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_POST(self):
            hits.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    settings.OUTBOUND_ALLOWED_NETWORKS = ["127.0.0.1/32"]
    yield f"http://127.0.0.1:{httpd.server_port}/hook", hits
    httpd.shutdown()


def test_public_praise_is_posted_to_the_webhook_once_and_private_praise_never(people, webhook):
    url, hits = webhook
    org = people.acme.org
    org.slack_webhook_url = url
    org.save()
    public = people.praise[Visibility.PUBLIC]
    assert services.recognition_post(org=org, recognition_id=str(public.pk)) is True
    assert services.recognition_post(org=org, recognition_id=str(public.pk)) is False
    private = people.praise[Visibility.PRIVATE]
    assert services.recognition_post(org=org, recognition_id=str(private.pk)) is False
    assert len(hits) == 1 and "PRAISE-PUBLIC" in hits[0]["text"]


def test_the_leaderboard_ranks_owned_outcomes_not_praise(people):
    org = people.acme.org
    before = selectors.leaderboard(org=org)
    with org_scope(org):
        Recognition.objects.all().delete()
    assert selectors.leaderboard(org=org) == before
    sales = next(r for r in before if r.name == "Sales")
    assert sales.kpis >= 1 and sales.kpis_on_target == 0


# --- the lead's signals


def test_needs_attention_wants_off_target_twice_and_low_confidence(people):
    org, acme = people.acme.org, people.acme
    signals = {s.member.user_id: s for s in selectors.team_signals(org=org, actor=acme.lead)}
    assert signals[acme.member.user_id].needs_attention == []  # off target, but confident
    with org_scope(org):
        CheckIn.objects.create(
            organization=org,
            objective=people.kpi.objective,
            week_start=dt.date(2026, 11, 23),
            author=acme.member.user,
            status="at_risk",
            progress=30,
            confidence=3,
            reason="Pipeline thin",
        )
    signals = {s.member.user_id: s for s in selectors.team_signals(org=org, actor=acme.lead)}
    assert signals[acme.member.user_id].needs_attention[0] == (
        "Sam's deals off target two periods running"
    )
    assert selectors.team_signals(org=org, actor=people.other_lead)[0].member == (
        people.support_member
    )


def test_a_lead_is_nudged_when_kpis_stay_on_target_without_recognition(people):
    org, acme = people.acme.org, people.acme
    kpi = KpiFactory(
        organization=org, objective=people.kpi.objective, outcome_owner=acme.viewer.user
    )
    TargetFactory(kpi=kpi)
    MetricValueFactory(kpi=kpi, period_date=dt.date(2026, 10, 1), value=120)
    MetricValueFactory(kpi=kpi, period_date=dt.date(2026, 11, 1), value=130)
    acme.viewer.team = acme.sales
    acme.viewer.save()
    signals = {s.member.user_id: s for s in selectors.team_signals(org=org, actor=acme.lead)}
    assert "on target" in signals[acme.viewer.user_id].nudge
    assert signals[acme.member.user_id].nudge == ""  # off target, and praised


# --- improvement plans


def test_a_plan_is_drafted_only_by_the_persons_lead_on_kpis_they_own(people):
    org, acme = people.acme.org, people.acme
    fields = dict(
        concerns="c",
        support="s",
        consequences="x",
        start_date=dt.date(2026, 12, 1),
        duration_days=30,
    )
    mine = [services.ExpectationInput(kpi=people.kpi, target=100)]
    for actor in (people.other_lead, acme.admin, people.partner):
        with pytest.raises(PermissionDenied):
            services.plan_draft(
                org=org, actor=actor, person=acme.member, expectations=mine, **fields
            )
    foreign = KpiFactory(organization=org, objective=people.kpi.objective)
    with pytest.raises(ValidationError, match="does not own"):
        services.plan_draft(
            org=org,
            actor=acme.lead,
            person=acme.member,
            expectations=[services.ExpectationInput(kpi=foreign, target=1)],
            **fields,
        )


def test_a_plan_goes_from_draft_to_signed_and_is_signed_again_after_a_change(people):
    org, acme, plan = people.acme.org, people.acme, people.plan
    assert [m.due_on for m in selectors.plan_detail(org=org, plan=plan).milestones] == [
        dt.date(2026, 12, 31),
        dt.date(2027, 1, 30),
    ]
    with pytest.raises(PermissionDenied):  # the lead cannot approve their own plan
        services.plan_approve(org=org, actor=acme.lead, plan=plan)
    services.people_partner_grant(org=org, actor=acme.admin, member=acme.lead)
    with pytest.raises(PermissionDenied):  # not even as a people partner
        services.plan_approve(org=org, actor=acme.lead, plan=plan)
    with pytest.raises(PermissionDenied):
        services.plan_acknowledge(org=org, actor=acme.member, plan=plan)  # unseen draft

    plan = services.plan_approve(org=org, actor=people.partner, plan=plan)
    assert plan.state == PlanState.PUBLISHED and plan.needs_signature
    with pytest.raises(ValidationError):
        services.plan_approve(org=org, actor=people.partner, plan=plan)
    plan = services.plan_acknowledge(org=org, actor=acme.member, plan=plan)
    assert plan.state == PlanState.ACKNOWLEDGED and plan.acknowledged_version == 1

    plan = services.plan_update(org=org, actor=acme.lead, plan=plan, support="Daily stand-up")
    assert (plan.state, plan.version, plan.needs_signature) == (PlanState.PUBLISHED, 2, True)
    with pytest.raises(ValidationError):  # nothing moves on until the person signs again
        services.plan_move(org=org, actor=acme.lead, plan=plan, to=PlanState.PAUSED)
    plan = services.plan_acknowledge(org=org, actor=acme.member, plan=plan)
    plan = services.plan_move(org=org, actor=acme.lead, plan=plan, to=PlanState.EXTENDED)
    assert plan.end_date == dt.date(2027, 3, 1) and plan.needs_signature
    plan = services.plan_acknowledge(org=org, actor=acme.member, plan=plan)
    plan = services.plan_move(org=org, actor=acme.lead, plan=plan, to=PlanState.COMPLETED)
    with pytest.raises(ValidationError):
        services.plan_update(org=org, actor=acme.lead, plan=plan, support="after")
    changes = [r.change for r in reversed(selectors.plan_detail(org=org, plan=plan).revisions)]
    assert changes == [
        "approved and published",
        "signed version 1",
        "changed",
        "signed version 2",
        "acknowledged → extended",
        "signed version 3",
        "extended → completed",
    ]


def test_a_plans_progress_is_read_from_its_kpis(people):
    org, plan = people.acme.org, people.plan
    expectation = selectors.plan_detail(org=org, plan=plan).expectations[0]
    assert (expectation.baseline, expectation.target, expectation.current) == (60, 100, 60)
    MetricValueFactory(kpi=people.kpi, period_date=dt.date(2026, 12, 1), value=80)
    expectation = selectors.plan_detail(org=org, plan=plan).expectations[0]
    assert expectation.current == 80 and expectation.progress == pytest.approx(0.5)
    assert not expectation.met


def test_development_goals_due_are_suggested_for_the_one_on_one(people):
    org, acme = people.acme.org, people.acme
    competency_services.development_goal_add(
        org=org,
        actor=acme.member,
        person=acme.member,
        title="Finish the negotiation course",
        due_on=people.meeting.scheduled_for + dt.timedelta(days=3),
    )
    texts = [
        s.text for s in selectors.suggested_points(org=org, actor=acme.lead, meeting=people.meeting)
    ]
    assert "Development goal due 10 Dec 2026: Finish the negotiation course" in texts
    with pytest.raises(PermissionDenied):
        competency_services.development_goal_add(
            org=org,
            actor=people.other_lead,
            person=acme.member,
            title="Not theirs",
            due_on=dt.date(2026, 12, 20),
        )


# --- retention


def test_records_of_someone_who_left_lose_their_words_after_retention_and_only_theirs(people):
    org, acme = people.acme.org, people.acme
    kept = services.recognition_give(
        org=org,
        actor=acme.lead,
        recipient=people.support_member.user,
        message="Still here",
        kpi=people.kpi,
    )
    later = dt.date(2034, 1, 1)  # past every default retention period
    assert services.people_retention_apply(org=org, today=later) == 0  # nobody has left
    with org_scope(org):
        acme.member.delete()  # Sam leaves
    assert services.people_retention_apply(org=org, today=dt.date(2027, 1, 1)) == 0  # too soon
    assert services.people_retention_apply(org=org, today=later) > 0
    with org_scope(org):
        assert not PrivateNote.objects.filter(one_on_one=people.meeting).exists()
        assert set(people.meeting.points.values_list("text", flat=True)) == {REMOVED}
        assert set(
            Recognition.objects.filter(recipient=acme.member.user).values_list("message", flat=True)
        ) == {REMOVED}
        assert Recognition.objects.get(pk=kept.pk).message == "Still here"
        plan = ImprovementPlan.objects.get(pk=people.plan.pk)
        assert plan.concerns == REMOVED and plan.expectations.count() == 1  # numbers kept
    assert services.people_retention_apply(org=org, today=later) == 0  # twice is once
