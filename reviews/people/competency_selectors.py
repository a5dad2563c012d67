"""Reads of the competency sub-domain, through the wall: a self-assessment reaches the lead
only after the lead's own is submitted; calibration hides the aggregates of small groups."""

from __future__ import annotations

import datetime as dt
import uuid
from collections import Counter
from dataclasses import dataclass, field

from django.http import Http404

from metrics.models import Kpi, Rag
from metrics.selectors import kpi_statuses
from objectives.models import Objective
from objectives.selectors import running_q
from perfmgmt.models import Membership, Organization, Team
from perfmgmt.periods import org_today
from perfmgmt.tenancy import org_scope
from reviews.models import CheckIn, Risk
from reviews.people import rules
from reviews.people.models import (
    Assessment,
    AssessmentKind,
    Competency,
    DevelopmentGoal,
    ExpectedLevel,
    PeopleSettings,
    Recognition,
)


def framework(org: Organization) -> list[Competency]:
    with org_scope(org):
        return list(Competency.objects.prefetch_related("expected__team"))


def assessment_get(*, org: Organization, actor: Membership, assessment_id: object) -> Assessment:
    try:
        pk = uuid.UUID(str(assessment_id))
    except ValueError as exc:
        raise Http404 from exc
    with org_scope(org):
        found = Assessment.objects.select_related("person", "assessor").filter(pk=pk).first()
    if found is None or not rules.can_see_assessment(actor, found):
        raise Http404("No such assessment.")
    return found


def expected_levels(*, org: Organization, person: Membership) -> dict[uuid.UUID, int]:
    """The level expected of the person per competency: their team's, else their role's."""
    with org_scope(org):
        rows = list(ExpectedLevel.objects.all())
    by_role = {
        r.competency_id: r.level for r in rows if r.team_id is None and r.role == person.role
    }
    by_team = {r.competency_id: r.level for r in rows if r.team_id and r.team_id == person.team_id}
    return {**by_role, **by_team}


@dataclass
class CompetencyRow:
    competency: Competency
    expected: int | None
    self_level: int | None  # None: not rated, or not visible to the reader
    lead_level: int | None

    @property
    def gap(self) -> int | None:
        """Assessed (the lead's, else the self-assessment) minus expected: negative is short."""
        assessed = self.lead_level if self.lead_level is not None else self.self_level
        if assessed is None or self.expected is None:
            return None
        return assessed - self.expected

    @property
    def self_vs_lead(self) -> int | None:
        if self.self_level is None or self.lead_level is None:
            return None
        return self.self_level - self.lead_level


@dataclass
class Evidence:
    kpis_on_target: int
    kpis: int
    checkins: int
    checkins_due: int
    average_confidence: float | None
    retrospectives: int
    recognition: int


@dataclass
class PersonCompetencies:
    person: Membership
    cycle: str
    rows: list[CompetencyRow]
    assessments: dict[str, Assessment | None]  # by kind, only those the reader may see
    evidence: Evidence
    goals: list[DevelopmentGoal]
    lead_self_hidden: bool = False  # the lead must submit theirs before seeing the self one
    warning: str = ""


EVIDENCE_WEEKS = 8


def evidence(*, org: Organization, actor: Membership, person: Membership) -> Evidence:
    """The performance data beside each rating: owned KPIs' attainment, check-in regularity
    and confidence over the last eight weeks, retrospectives answered, praise received."""
    today = org_today(org)
    since = today - dt.timedelta(weeks=EVIDENCE_WEEKS)
    with org_scope(org):
        kpis = list(Kpi.objects.filter(outcome_owner_id=person.user_id))
        owned = Objective.objects.filter(running_q(since, today), owner_id=person.user_id).count()
        checkins = list(
            CheckIn.objects.filter(author_id=person.user_id, week_start__gte=since).values_list(
                "confidence", flat=True
            )
        )
        retrospectives = Risk.objects.filter(
            objective__owner_id=person.user_id, reviewed_at__isnull=False
        ).count()
        praise = Recognition.objects.filter(
            rules.recognition_q(actor), recipient_id=person.user_id
        ).count()
    statuses = kpi_statuses(org=org, kpis=kpis)
    return Evidence(
        kpis_on_target=sum(statuses[k.pk].rag == Rag.GREEN for k in kpis),
        kpis=len(kpis),
        checkins=len(checkins),
        checkins_due=owned * EVIDENCE_WEEKS,
        average_confidence=round(sum(checkins) / len(checkins), 1) if checkins else None,
        retrospectives=retrospectives,
        recognition=praise,
    )


def person_competencies(
    *, org: Organization, actor: Membership, person: Membership, cycle: str
) -> PersonCompetencies:
    competencies = framework(org)
    with org_scope(org):
        found = {
            a.kind: a
            for a in Assessment.objects.filter(person_id=person.user_id, cycle=cycle)
            .select_related("assessor")
            .prefetch_related("ratings")
        }
        goals = list(DevelopmentGoal.objects.filter(person_id=person.user_id))
    visible = {kind: a for kind, a in found.items() if rules.can_see_assessment(actor, a)}
    levels = {
        kind: {r.competency_id: r.level for r in a.ratings.all()} for kind, a in visible.items()
    }
    expected = expected_levels(org=org, person=person)
    rows = [
        CompetencyRow(
            c,
            expected.get(c.pk),
            levels.get(AssessmentKind.SELF, {}).get(c.pk),
            levels.get(AssessmentKind.LEAD, {}).get(c.pk),
        )
        for c in competencies
    ]
    self_done = found.get(AssessmentKind.SELF)
    return PersonCompetencies(
        person=person,
        cycle=cycle,
        rows=rows,
        assessments={k.value: visible.get(k.value) for k in AssessmentKind},
        evidence=evidence(org=org, actor=actor, person=person),
        goals=goals if actor.pk == person.pk or rules.is_lead_of(actor, person) else [],
        lead_self_hidden=bool(
            self_done and self_done.submitted_at and AssessmentKind.SELF not in visible
        ),
        warning=f"The framework has {len(competencies)} competencies; more than 15 are hard to "
        "assess honestly."
        if len(competencies) > 15
        else "",
    )


@dataclass
class CalibrationRow:
    competency: Competency
    expected: int | None
    ratings: list[tuple[str, int | None]]  # person, lead's submitted level
    distribution: dict[int, int] | None = None  # level → people; None: group too small
    average: float | None = None


@dataclass
class Calibration:
    team: Team
    cycle: str
    people: list[Membership]
    rows: list[CalibrationRow] = field(default_factory=list)
    min_group_size: int = 5

    @property
    def hidden(self) -> bool:
        return len(self.people) < self.min_group_size


def calibration_teams(*, org: Organization, actor: Membership) -> list[Team]:
    with org_scope(org):
        return list(Team.objects.filter(rules.calibration_teams_q(actor)))


def calibration(*, org: Organization, actor: Membership, team: Team, cycle: str) -> Calibration:
    """A team's submitted lead assessments side by side, with each competency's distribution
    against the expected level; aggregates hidden under the minimum group size."""
    if team not in calibration_teams(org=org, actor=actor):
        raise Http404("No such team to calibrate.")
    with org_scope(org):
        members = Membership.objects.filter(team=team).select_related("user")
        if team.lead_id is not None:
            members = members.exclude(user_id=team.lead_id)
        people = list(members.order_by("user__username"))
        settings = PeopleSettings.objects.first()
        submitted = {
            a.person_id: {r.competency_id: r.level for r in a.ratings.all()}
            for a in Assessment.objects.filter(
                person_id__in=[p.user_id for p in people],
                cycle=cycle,
                kind=AssessmentKind.LEAD,
                submitted_at__isnull=False,
            ).prefetch_related("ratings")
        }
    result = Calibration(
        team, cycle, people, min_group_size=settings.min_group_size if settings else 5
    )
    for competency in framework(org):
        levels = [
            (
                p.user.get_full_name() or p.user.username,
                submitted.get(p.user_id, {}).get(competency.pk),
            )
            for p in people
        ]
        expected = next((e.level for e in competency.expected.all() if e.team_id == team.pk), None)
        row = CalibrationRow(competency, expected, levels)
        given = [level for _, level in levels if level is not None]
        if not result.hidden and given:
            row.distribution = dict(sorted(Counter(given).items()))
            row.average = round(sum(given) / len(given), 1)
        result.rows.append(row)
    return result


def my_competency_data(*, org: Organization, actor: Membership) -> dict:
    """For the person's export: their assessments that they may see, and their goals."""
    with org_scope(org):
        assessments = [
            a
            for a in Assessment.objects.filter(person_id=actor.user_id).prefetch_related(
                "ratings__competency"
            )
            if rules.can_see_assessment(actor, a)
        ]
        goals = list(DevelopmentGoal.objects.filter(person_id=actor.user_id))
        return {
            "assessments": [
                {
                    "kind": a.kind,
                    "cycle": a.cycle,
                    "submitted": a.submitted_at.isoformat() if a.submitted_at else None,
                    "ratings": {r.competency.name: r.level for r in a.ratings.all()},
                }
                for a in assessments
            ],
            "development_goals": [
                {"title": g.title, "due": g.due_on.isoformat(), "done": g.done} for g in goals
            ],
        }
