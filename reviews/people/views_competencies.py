"""Competency pages: the framework, assessments with their evidence, calibration."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from perfmgmt.models import Membership
from perfmgmt.permissions import is_admin
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from reviews.people import competency_selectors as selectors
from reviews.people import competency_services as services
from reviews.people import rules
from reviews.people.forms import (
    AssessmentStartForm,
    CompetencyForm,
    DevelopmentGoalForm,
    ExpectedLevelForm,
    RatingsForm,
)
from reviews.people.models import Assessment, AssessmentKind, Competency
from reviews.people.selectors import members_of, teams_of
from reviews.people.views import _back_with_errors, _errors


def _home(request: TenantRequest) -> str:
    return reverse("people:competencies", kwargs={"org_slug": request.org.slug})


def _assessment_url(request: TenantRequest, assessment: Assessment) -> str:
    return reverse(
        "people:assessment",
        kwargs={"org_slug": request.org.slug, "assessment_id": assessment.pk},
    )


def _competency_choices(request: TenantRequest) -> QuerySet[Competency]:
    return Competency.objects.all()  # evaluated inside the view's organisation scope


def _person(request: TenantRequest, assessment: Assessment) -> Membership:
    """The assessed person's membership; someone who has left is no longer shown."""
    person = rules.membership_of(org=request.org, user_id=assessment.person_id)
    if person is None:
        raise Http404("This person is no longer a member.")
    return person


@org_view
@require_GET
def competencies(request: TenantRequest) -> HttpResponse:
    org, actor = request.org, request.membership
    cycle = services.current_cycle(org)
    members = rules.led_members(actor)
    context = {
        "framework": selectors.framework(org),
        "cycle": cycle,
        "mine": selectors.person_competencies(org=org, actor=actor, person=actor, cycle=cycle),
        "team": [
            selectors.person_competencies(org=org, actor=actor, person=m, cycle=cycle)
            for m in members
        ],
        "is_admin": is_admin(actor),
        "competency_form": CompetencyForm(),
        "expected_form": ExpectedLevelForm(
            competencies=_competency_choices(request), teams=teams_of(org)
        ),
        "can_calibrate": rules.can_calibrate(actor),
    }
    return render(request, "people/competency_page.html", context)


@org_view
@require_POST
def competency_add(request: TenantRequest) -> HttpResponse:
    form = CompetencyForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(_home(request))
    return _back_with_errors(
        request,
        _home(request),
        lambda: services.competency_add(
            org=request.org, actor=request.membership, **form.cleaned_data
        ),
    )


@org_view
@require_POST
def expected_level_set(request: TenantRequest) -> HttpResponse:
    form = ExpectedLevelForm(
        request.POST, competencies=_competency_choices(request), teams=teams_of(request.org)
    )
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(_home(request))
    return _back_with_errors(
        request,
        _home(request),
        lambda: services.expected_level_set(
            org=request.org, actor=request.membership, **form.cleaned_data
        ),
    )


@org_view
@require_POST
def assessment_start(request: TenantRequest) -> HttpResponse:
    form = AssessmentStartForm(request.POST, members=members_of(request.org))
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(_home(request))
    try:
        assessment = services.assessment_start(
            org=request.org, actor=request.membership, **form.cleaned_data
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect(_home(request))
    return redirect(_assessment_url(request, assessment))


@never_cache
@org_view
def assessment(request: TenantRequest, assessment_id: str) -> HttpResponse:
    org, actor = request.org, request.membership
    found = selectors.assessment_get(org=org, actor=actor, assessment_id=assessment_id)
    framework = selectors.framework(org)
    editable = found.assessor_id == actor.user_id and found.submitted_at is None
    initial = {r.competency_id: r.level for r in found.ratings.all()} if editable else {}
    form = RatingsForm(
        request.POST if request.method == "POST" else None,
        competencies=framework,
        initial_levels=initial,
    )
    if request.method == "POST":
        if not editable:
            return HttpResponseNotAllowed(["GET"])
        if form.is_valid():
            try:
                services.assessment_rate(
                    org=org,
                    actor=actor,
                    assessment=found,
                    ratings=form.ratings(),
                    submit="submit" in request.POST,
                )
            except ValidationError as exc:
                messages.error(request, " ".join(exc.messages))
            else:
                messages.success(request, "Assessment saved.")
            return redirect(_assessment_url(request, found))
    person = _person(request, found)
    context = {
        "assessment": found,
        "form": form if editable else None,
        "detail": selectors.person_competencies(
            org=org, actor=actor, person=person, cycle=found.cycle
        ),
        "goal_form": DevelopmentGoalForm(competencies=_competency_choices(request)),
        "AssessmentKind": AssessmentKind,
    }
    return render(
        request, "people/assessment_page.html", context, status=400 if form.errors else 200
    )


@org_view
def development_goal_add(request: TenantRequest, assessment_id: str) -> HttpResponse:
    org, actor = request.org, request.membership
    found = selectors.assessment_get(org=org, actor=actor, assessment_id=assessment_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = DevelopmentGoalForm(request.POST, competencies=_competency_choices(request))
    url = _assessment_url(request, found)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(url)
    person = _person(request, found)
    return _back_with_errors(
        request,
        url,
        lambda: services.development_goal_add(
            org=org, actor=actor, person=person, **form.cleaned_data
        ),
    )


@org_view
@require_GET
def calibration(request: TenantRequest) -> HttpResponse:
    org, actor = request.org, request.membership
    teams = selectors.calibration_teams(org=org, actor=actor)
    chosen = next((t for t in teams if t.slug == request.GET.get("team")), None) or (
        teams[0] if teams else None
    )
    cycle = services.current_cycle(org)
    result = (
        selectors.calibration(org=org, actor=actor, team=chosen, cycle=cycle) if chosen else None
    )
    context = {"teams": teams, "chosen": chosen, "calibration": result, "cycle": cycle}
    return render(request, "people/calibration_page.html", context)
