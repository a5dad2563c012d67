"""The people layer's part of the demo: called by the demo seed once the organisation, its
people, teams and KPIs exist (it finds them by username and KPI key).

- Hana (lead.people) is the people partner; Ada the admin is not.
- Lena leads Sam: a held 1:1 last week (one point left unticked, so it carries over) and the
  next one this week, with both sides' private notes and an action.
- Sam now owns the outcome of the two lead KPIs whose data he already reports; an improvement
  plan on them, drafted by Lena 40 days ago, approved by Hana and signed by Sam, is in
  progress: its first 30-day milestone reviewed, its progress read from those KPIs' values.
- Praise: public, manager-only and private, tied to objectives and KPIs, tagged with values.
- A competency framework of four, Sales expected at level 2, Sam's self-assessment and
  Lena's assessment of him for this quarter (both submitted), and a development goal.
"""

from __future__ import annotations

import datetime as dt

from metrics.models import Kpi
from objectives.models import Objective
from perfmgmt.models import Membership, Organization, Team
from perfmgmt.periods import org_today
from perfmgmt.tenancy import org_scope
from reviews.people import competency_services, services
from reviews.people.models import AssessmentKind, OneOnOne, Visibility

VALUES = ("Customer first", "Own the outcome", "Raise the bar")
PLAN_KPIS = ("qualified-opps", "dach-meetings")  # the two Sam reports (data owner)


def seed_people_demo(org: Organization) -> None:
    with org_scope(org):
        if OneOnOne.objects.exists():
            return  # seeded already
        people = {m.user.username: m for m in Membership.objects.select_related("user", "team")}
        kpis = {k.key: k for k in Kpi.objects.select_related("objective")}
        sales = Team.objects.get(slug="sales")
        objective = Objective.objects.filter(team=sales).order_by("title").first()
    admin, lead, member, partner = (
        people["admin"],
        people["lead"],
        people["member"],
        people["lead.people"],
    )
    today = org_today(org)
    services.people_partner_grant(org=org, actor=admin, member=partner)
    values = [services.company_value_add(org=org, actor=admin, name=name) for name in VALUES]

    # Sam owns the outcomes he reports on (the plan's expectations are KPIs the person owns).
    plan_kpis = [kpis[key] for key in PLAN_KPIS]  # a KeyError: the demo seed changed
    with org_scope(org):
        Kpi.objects.filter(pk__in=[k.pk for k in plan_kpis]).update(outcome_owner=member.user)
        for kpi in plan_kpis:
            kpi.outcome_owner = member.user

    held = services.one_on_one_schedule(
        org=org, actor=lead, report=member, scheduled_for=today - dt.timedelta(days=7)
    )
    for text, by, done in (
        ("Pipeline review: the three enterprise deals", lead, True),
        ("Training budget for the negotiation course", member, False),
        ("Improvement plan: first 30-day review", lead, True),
    ):
        point = services.talking_point_add(org=org, actor=by, meeting=held, text=text)
        if done:
            services.talking_point_tick(
                org=org, actor=by, meeting=held, point_id=point.pk, done=True
            )
    services.private_note_save(
        org=org, actor=lead, meeting=held, text="Sam seemed more confident; keep coaching."
    )
    services.private_note_save(
        org=org, actor=member, meeting=held, text="Ask Lena about the DACH territory split."
    )
    services.one_on_one_action_add(
        org=org,
        actor=lead,
        meeting=held,
        title="Shadow two discovery calls with Marco",
        owner=member.user,
        due_date=today + dt.timedelta(days=7),
    )
    upcoming = services.one_on_one_hold(org=org, actor=lead, meeting=held)
    services.talking_point_add(
        org=org, actor=member, meeting=upcoming, text="Feedback on my first DACH meetings"
    )

    plan = services.plan_draft(
        org=org,
        actor=lead,
        person=member,
        concerns=(
            "Qualified opportunities have been below target for most of the last quarter, "
            "and first meetings in DACH are behind plan (e.g. 4 booked in October against "
            "9 planned)."
        ),
        support=(
            "A weekly pipeline session with Lena; shadowing Marco's discovery calls; the "
            "negotiation course in January."
        ),
        consequences=(
            "If the expectations are not met by the end date, we will discuss whether the "
            "role is the right fit, which may lead to a formal process."
        ),
        start_date=today - dt.timedelta(days=40),
        duration_days=90,
        expectations=[services.ExpectationInput(kpi=kpi, target=_target(kpi)) for kpi in plan_kpis],
    )
    services.plan_approve(org=org, actor=partner, plan=plan)
    plan.refresh_from_db()
    services.plan_acknowledge(org=org, actor=member, plan=plan)
    services.milestone_review(
        org=org,
        actor=lead,
        plan=plan,
        due_on=plan.start_date + dt.timedelta(days=30),
        note="Opportunities picked up; DACH meetings still behind.",
    )

    _seed_competencies(org, people)

    give = services.recognition_give
    give(
        org=org,
        actor=people["ceo"],
        team=sales,
        message="The enterprise pipeline is finally predictable: thank you, Sales.",
        objective=objective,
        values=values[1:2],
    )
    give(
        org=org,
        actor=lead,
        recipient=member.user,
        visibility=Visibility.MANAGER,
        message="Great recovery on opportunities this month.",
        kpi=plan_kpis[0],
        values=values[1:],
    )
    give(
        org=org,
        actor=people["lead.cs"],
        recipient=member.user,
        visibility=Visibility.PRIVATE,
        message="Thanks for the handover notes on the Brauer account.",
        objective=objective,
        values=values[:1],
    )


FRAMEWORK = {
    "Pipeline discipline": ["Keeps a list", "Qualifies every deal", "Forecasts within 10 %"],
    "Customer insight": ["Knows the product", "Knows the customer's business", "Shapes the deal"],
    "Negotiation": ["Follows the price book", "Trades value for value", "Closes complex deals"],
    "Coaching": ["Shares what works", "Coaches peers", "Grows the team's skills"],
}


def _seed_competencies(org: Organization, people: dict[str, Membership]) -> None:
    """A framework of four, Sales expected at level 2, and Sam's Q assessments on both sides."""
    admin, lead, member = people["admin"], people["lead"], people["member"]
    sales = member.team
    framework = [
        competency_services.competency_add(
            org=org, actor=admin, name=name, description="", levels=levels
        )
        for name, levels in FRAMEWORK.items()
    ]
    for competency in framework:
        competency_services.expected_level_set(
            org=org, actor=admin, competency=competency, team=sales, level=2
        )
    own = competency_services.assessment_start(
        org=org, actor=member, person=member, kind=AssessmentKind.SELF
    )
    competency_services.assessment_rate(
        org=org,
        actor=member,
        assessment=own,
        ratings={c: (level, "") for c, level in zip(framework, (3, 2, 2, 1), strict=True)},
        submit=True,
    )
    theirs = competency_services.assessment_start(
        org=org, actor=lead, person=member, kind=AssessmentKind.LEAD
    )
    competency_services.assessment_rate(
        org=org,
        actor=lead,
        assessment=theirs,
        ratings={c: (level, "") for c, level in zip(framework, (1, 2, 2, 1), strict=True)},
        submit=True,
    )
    competency_services.development_goal_add(
        org=org,
        actor=lead,
        person=member,
        title="Qualify every new opportunity with the MEDDIC checklist",
        due_on=org_today(org) + dt.timedelta(days=21),
        competency=framework[0],
    )


def _target(kpi: Kpi) -> float:
    """A fair target: the KPI's own current target, else a fifth above where it stood."""
    with org_scope(kpi.organization):
        target = kpi.targets.order_by("-period_end").first()
        latest = kpi.values.order_by("-period_date").first()
    if target is not None:
        return target.value
    return round((latest.value if latest else 1) * 1.2, 1)
