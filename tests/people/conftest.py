"""The people-layer world: Acme's world (tests/conftest.py) plus a second lead with a member of
their own, a people partner, and one record of each kind about Sam, the Sales member led by
Lena. Every secret text is unique, so a page that leaks one can be caught by a string search.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import pytest

from perfmgmt.models import Membership, Role
from perfmgmt.tenancy import org_scope
from reviews.people import competency_services, services
from reviews.people.models import (
    Assessment,
    AssessmentKind,
    Competency,
    ImprovementPlan,
    OneOnOne,
    Recognition,
    Visibility,
)
from tests.conftest import OrgWorld, _member
from tests.factories import KpiFactory, MetricValueFactory, ObjectiveFactory, TargetFactory

LEAD_NOTE = "LENA-PRIVATE-NOTE-7f3"
MEMBER_NOTE = "SAM-PRIVATE-NOTE-2c9"
AGENDA = "SHARED-AGENDA-POINT-41a"
CONCERNS = "PLAN-CONCERNS-9d1"
SELF_COMMENT = "SELF-ASSESSMENT-COMMENT-3b7"
PRAISE = {
    Visibility.PUBLIC: "PRAISE-PUBLIC-11b",
    Visibility.MANAGER: "PRAISE-MANAGER-5e0",
    Visibility.PRIVATE: "PRAISE-PRIVATE-88c",
}


@dataclass
class PeopleWorld:
    acme: OrgWorld
    other_lead: Membership  # leads Support, not Sam's lead
    support_member: Membership  # gave Sam the praise
    partner: Membership  # a member granted the people partner permission
    kpi: object  # Sam's own KPI, off target
    meeting: OneOnOne
    plan: ImprovementPlan
    praise: dict[str, Recognition]
    framework: list[Competency]
    self_assessment: Assessment  # Sam's, submitted
    lead_assessment: Assessment  # Lena's of Sam, not submitted yet

    def everyone(self) -> dict[str, Membership]:
        w = self.acme
        return {
            "admin": w.admin,
            "executive": w.executive,
            "finance": w.finance,
            "lead": w.lead,
            "member": w.member,
            "viewer": w.viewer,
            "other_lead": self.other_lead,
            "support_member": self.support_member,
            "partner": self.partner,
        }


def build_people(acme: OrgWorld) -> PeopleWorld:
    org = acme.org
    other_lead = _member(org, "otto", Role.LEAD, acme.support)
    acme.support.lead = other_lead.user
    acme.support.save()
    support_member = _member(org, "sue", Role.MEMBER, acme.support)
    partner = _member(org, "pia", Role.MEMBER)
    services.people_partner_grant(org=org, actor=acme.admin, member=partner)

    objective = ObjectiveFactory(
        organization=org,
        team=acme.sales,
        owner=acme.member.user,
        period_start=dt.date(2026, 1, 1),
        period_end=dt.date(2026, 12, 31),
    )
    kpi = KpiFactory(
        organization=org, objective=objective, outcome_owner=acme.member.user, name="Sam's deals"
    )
    TargetFactory(kpi=kpi, value=100, green_threshold=100, amber_threshold=90)
    MetricValueFactory(kpi=kpi, period_date=dt.date(2026, 10, 1), value=70)
    MetricValueFactory(kpi=kpi, period_date=dt.date(2026, 11, 1), value=60)

    meeting = services.one_on_one_schedule(
        org=org, actor=acme.lead, report=acme.member, scheduled_for=dt.date(2026, 12, 7)
    )
    services.talking_point_add(org=org, actor=acme.member, meeting=meeting, text=AGENDA)
    services.private_note_save(org=org, actor=acme.lead, meeting=meeting, text=LEAD_NOTE)
    services.private_note_save(org=org, actor=acme.member, meeting=meeting, text=MEMBER_NOTE)

    plan = services.plan_draft(
        org=org,
        actor=acme.lead,
        person=acme.member,
        concerns=CONCERNS,
        support="Weekly pipeline coaching",
        consequences="A formal review",
        start_date=dt.date(2026, 12, 1),
        duration_days=60,
        expectations=[services.ExpectationInput(kpi=kpi, target=100)],
    )
    praise = {
        visibility: services.recognition_give(
            org=org,
            actor=support_member if visibility != Visibility.PRIVATE else other_lead,
            recipient=acme.member.user,
            message=text,
            visibility=visibility,
            kpi=kpi,
        )
        for visibility, text in PRAISE.items()
    }
    framework = [
        competency_services.competency_add(
            org=org,
            actor=acme.admin,
            name=name,
            description="",
            levels=["Learning", "Solid", "Leads"],
        )
        for name in ("Pipeline discipline", "Negotiation")
    ]
    self_assessment = competency_services.assessment_start(
        org=org, actor=acme.member, person=acme.member, kind=AssessmentKind.SELF
    )
    competency_services.assessment_rate(
        org=org,
        actor=acme.member,
        assessment=self_assessment,
        ratings={framework[0]: (3, SELF_COMMENT), framework[1]: (2, "")},
        submit=True,
    )
    lead_assessment = competency_services.assessment_start(
        org=org, actor=acme.lead, person=acme.member, kind=AssessmentKind.LEAD
    )
    with org_scope(org):
        plan.refresh_from_db()
    return PeopleWorld(
        acme,
        other_lead,
        support_member,
        partner,
        kpi,
        meeting,
        plan,
        praise,
        framework,
        self_assessment,
        lead_assessment,
    )


@pytest.fixture
def people(acme) -> PeopleWorld:
    return build_people(acme)
