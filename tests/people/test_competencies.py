"""Competencies: the framework, assessments on both sides (the lead reads the self-assessment
only after submitting their own), gaps, evidence and calibration with its minimum group."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from perfmgmt.models import Role
from reviews.people import competency_selectors as selectors
from reviews.people import competency_services as services
from reviews.people import rules
from reviews.people import services as people_services
from reviews.people.models import AssessmentKind
from tests.people.conftest import SELF_COMMENT


def test_only_admins_shape_the_framework_and_a_competency_has_levels(people):
    org, acme = people.acme.org, people.acme
    with pytest.raises(PermissionDenied):
        services.competency_add(
            org=org, actor=acme.lead, name="Coaching", description="", levels=["a", "b"]
        )
    with pytest.raises(ValidationError, match="two levels"):
        services.competency_add(org=org, actor=acme.admin, name="X", description="", levels=["a"])


def test_the_lead_sees_the_self_assessment_only_after_submitting_their_own(people, client_for):
    org, acme = people.acme.org, people.acme
    url = f"/o/acme/people/competencies/assessments/{people.self_assessment.pk}/"
    lead = client_for(acme.lead)
    assert lead.get(url).status_code == 404
    assert not rules.can_see_assessment(acme.lead, people.self_assessment)
    mine = selectors.person_competencies(
        org=org, actor=acme.lead, person=acme.member, cycle=people.self_assessment.cycle
    )
    assert mine.lead_self_hidden and all(row.self_level is None for row in mine.rows)

    services.assessment_rate(
        org=org,
        actor=acme.lead,
        assessment=people.lead_assessment,
        ratings={people.framework[0]: (1, ""), people.framework[1]: (2, "")},
        submit=True,
    )
    page = lead.get(url)
    assert page.status_code == 200 and SELF_COMMENT not in page.content.decode()
    rows = selectors.person_competencies(
        org=org, actor=acme.lead, person=acme.member, cycle=people.self_assessment.cycle
    ).rows
    assert [(r.self_level, r.lead_level, r.self_vs_lead) for r in rows] == [
        (2, 2, 0),  # Negotiation
        (3, 1, 2),  # Pipeline discipline: Sam rates himself two levels above Lena
    ]


@pytest.mark.parametrize(
    "role, sees_self, sees_lead",
    [
        ("member", True, True),
        ("lead", True, True),
        ("partner", True, True),
        ("other_lead", False, False),
        ("admin", False, False),
        ("executive", False, False),
        ("finance", False, False),
    ],
)
def test_submitted_assessments_are_seen_by_the_person_their_lead_and_partners(
    role, sees_self, sees_lead, people
):
    services.assessment_rate(
        org=people.acme.org,
        actor=people.acme.lead,
        assessment=people.lead_assessment,
        ratings={c: (2, "") for c in people.framework},
        submit=True,
    )
    actor = people.everyone()[role]
    assert rules.can_see_assessment(actor, people.self_assessment) is sees_self
    assert rules.can_see_assessment(actor, people.lead_assessment) is sees_lead


def test_a_draft_assessment_is_its_assessors_alone(people):
    for role, member in people.everyone().items():
        expected = role == "lead"
        assert rules.can_see_assessment(member, people.lead_assessment) is expected, role


def test_assessments_are_started_by_the_person_or_their_lead_only(people):
    org, acme = people.acme.org, people.acme
    with pytest.raises(PermissionDenied):
        services.assessment_start(
            org=org, actor=people.other_lead, person=acme.member, kind=AssessmentKind.LEAD
        )
    with pytest.raises(PermissionDenied):
        services.assessment_start(
            org=org, actor=acme.member, person=acme.member, kind=AssessmentKind.LEAD
        )
    with pytest.raises(PermissionDenied):
        services.assessment_start(
            org=org, actor=acme.lead, person=acme.member, kind=AssessmentKind.SELF
        )


def test_ratings_stay_inside_the_levels_and_a_submitted_assessment_is_closed(people):
    org, acme = people.acme.org, people.acme
    with pytest.raises(ValidationError, match="from 1 to 3"):
        services.assessment_rate(
            org=org,
            actor=acme.lead,
            assessment=people.lead_assessment,
            ratings={people.framework[0]: (4, "")},
        )
    with pytest.raises(ValidationError, match="every competency"):
        services.assessment_rate(
            org=org,
            actor=acme.lead,
            assessment=people.lead_assessment,
            ratings={people.framework[0]: (2, "")},
            submit=True,
        )
    with pytest.raises(ValidationError, match="submitted"):
        services.assessment_rate(
            org=org,
            actor=acme.member,
            assessment=people.self_assessment,
            ratings={people.framework[0]: (1, "")},
        )


def test_gaps_compare_the_assessed_level_with_the_teams_expected_one(people):
    org, acme = people.acme.org, people.acme
    pipeline = people.framework[0]
    services.expected_level_set(
        org=org, actor=acme.admin, competency=pipeline, role=Role.MEMBER, level=2
    )
    services.expected_level_set(
        org=org, actor=acme.admin, competency=pipeline, team=acme.sales, level=3
    )
    services.assessment_rate(
        org=org,
        actor=acme.lead,
        assessment=people.lead_assessment,
        ratings={pipeline: (1, ""), people.framework[1]: (2, "")},
        submit=True,
    )
    row = next(
        r
        for r in selectors.person_competencies(
            org=org, actor=acme.lead, person=acme.member, cycle=people.lead_assessment.cycle
        ).rows
        if r.competency == pipeline
    )
    assert (row.expected, row.lead_level, row.gap) == (3, 1, -2)  # the team's level wins


def test_the_evidence_panel_reads_the_performance_data(people):
    found = selectors.evidence(
        org=people.acme.org, actor=people.acme.lead, person=people.acme.member
    )
    assert (found.kpis, found.kpis_on_target) == (1, 0)
    assert found.recognition == 2  # public and manager-only; the private praise is Sam's


def test_calibration_hides_aggregates_below_the_minimum_group(people):
    org, acme = people.acme.org, people.acme
    services.assessment_rate(
        org=org,
        actor=acme.lead,
        assessment=people.lead_assessment,
        ratings={c: (2, "") for c in people.framework},
        submit=True,
    )
    result = selectors.calibration(org=org, actor=acme.lead, team=acme.sales, cycle="")
    assert result.hidden  # one person in Sales
    cycle = people.lead_assessment.cycle
    result = selectors.calibration(org=org, actor=acme.lead, team=acme.sales, cycle=cycle)
    assert all(row.distribution is None and row.average is None for row in result.rows)
    people_services.people_settings_update(
        org=org, actor=acme.admin, person_leaderboard=False, min_group_size=1
    )
    result = selectors.calibration(org=org, actor=people.partner, team=acme.sales, cycle=cycle)
    assert [row.distribution for row in result.rows] == [{2: 1}, {2: 1}]
    with pytest.raises(Http404):
        selectors.calibration(org=org, actor=people.other_lead, team=acme.sales, cycle=cycle)
    with pytest.raises(Http404):
        selectors.calibration(org=org, actor=acme.admin, team=acme.sales, cycle=cycle)


def test_the_competency_pages_answer(people, client_for):
    lead = client_for(people.acme.lead)
    assert lead.get("/o/acme/people/competencies/").status_code == 200
    assert lead.get("/o/acme/people/calibration/?team=sales").status_code == 200
    url = f"/o/acme/people/competencies/assessments/{people.lead_assessment.pk}/"
    assert lead.get(url).status_code == 200
    response = lead.post(url, {f"level_{people.framework[0].pk}": "9"})
    assert response.status_code == 400
    response = lead.post(url, {f"level_{c.pk}": "2" for c in people.framework} | {"submit": "1"})
    assert response.status_code == 302
    people.lead_assessment.refresh_from_db()
    assert people.lead_assessment.submitted_at is not None
