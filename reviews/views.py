"""Check-ins, what I owe, review meetings, actions, pre-mortems and retrospectives."""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import (
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseNotAllowed,
    HttpResponseRedirect,
    QueryDict,
)
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET
from django_htmx.http import HttpResponseClientRefresh

from objectives.models import Objective
from objectives.selectors import objective_get
from perfmgmt.http import safe_next
from perfmgmt.models import Role
from perfmgmt.periods import current_week, org_today
from perfmgmt.permissions import can_check_in, can_plan_risks, can_run_review, leads_team
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from perfmgmt.validation import ensure_allowed
from perfmgmt.views import form_submit
from reviews import services
from reviews.attention import Kind, objective_progress
from reviews.forms import (
    ActionForm,
    CheckInForm,
    DecisionForm,
    MeetingForm,
    NotesForm,
    RiskForm,
    RiskReviewForm,
)
from reviews.models import MeetingKind, ReviewMeeting, Risk
from reviews.selectors import (
    CheckInSlot,
    action_get,
    checkin_history,
    checkin_slots,
    meeting_detail,
    meeting_get,
    meeting_list,
    missing_by_team,
    objective_risks,
    risk_get,
    what_i_owe,
)


def _post_only(request: HttpRequest) -> HttpResponse | None:
    return None if request.method == "POST" else HttpResponseNotAllowed(["POST"])


@org_view
@require_GET
def owe(request: TenantRequest) -> HttpResponse:
    owed = what_i_owe(org=request.org, user=request.user)
    context = {"owed": owed, "today": org_today(request.org)}
    return render(request, "reviews/owe_page.html", context)


def _slot_form(
    slot: CheckInSlot, user: AbstractBaseUser, data: QueryDict | None = None
) -> CheckInForm:
    return CheckInForm(
        data,
        kpis=slot.kpis,
        values=slot.values,
        user=user,
        initial=CheckInForm.initial_for(slot.checkin, slot.previous),
        prefix=str(slot.objective.pk),
    )


def _checkin_card(
    request: TenantRequest,
    slot: CheckInSlot,
    form: CheckInForm | None = None,
    *,
    saved: bool = False,
) -> dict:
    """One objective's check-in card: its form, and its last six weeks."""
    return {
        "slot": slot,
        "form": form or _slot_form(slot, request.user),
        "history": checkin_history(org=request.org, objective=slot.objective, weeks=6),
        "saved": saved,
    }


@org_view
@require_GET
def checkin_page(request: TenantRequest) -> HttpResponse:
    week = current_week(request.org)
    slots = checkin_slots(org=request.org, actor=request.membership, week_start=week)
    cards = [_checkin_card(request, slot) for slot in slots]
    return render(request, "reviews/checkin_page.html", {"cards": cards, "week": week})


def _checkin_slot(request: TenantRequest, objective: Objective, week: dt.date) -> CheckInSlot:
    slots = checkin_slots(
        org=request.org, actor=request.membership, week_start=week, objective_id=objective.pk
    )
    if not slots:
        raise Http404("This objective does not run this week.")
    return slots[0]


def _card_response(request: TenantRequest, card: dict, week: dt.date, status: int) -> HttpResponse:
    if request.htmx:
        # 200 even with errors: htmx swaps only successful responses by default.
        context = {"card": card, "week": week}
        return render(request, "reviews/checkin_page.html#checkin-card", context)
    context = {"cards": [card], "week": week}
    return render(request, "reviews/checkin_page.html", context, status=status)


def _checkin_saved(request: TenantRequest, objective: Objective, week: dt.date) -> HttpResponse:
    """After a check-in: back to the page, or (htmx) its card, fresh, saying it was saved."""
    if not request.htmx:
        return redirect("reviews:checkin", org_slug=request.org.slug)
    card = _checkin_card(request, _checkin_slot(request, objective, week), saved=True)
    return _card_response(request, card, week, 200)


@org_view
def checkin_submit(request: TenantRequest, objective_id: str) -> HttpResponse:
    objective = objective_get(org=request.org, objective_id=objective_id)
    if (refused := _post_only(request)) is not None:
        return refused
    ensure_allowed(can_check_in(request.membership, objective), "Only the owner or lead checks in.")
    week = current_week(request.org)
    slot = _checkin_slot(request, objective, week)
    return form_submit(
        request,
        _slot_form(slot, request.user, request.POST),
        lambda form: services.checkin_submit(
            org=request.org,
            actor=request.membership,
            objective=objective,
            week_start=week,
            **form.service_kwargs(),
        ),
        on_success=lambda _: _checkin_saved(request, objective, week),
        page=lambda form, status: _card_response(
            request, _checkin_card(request, slot, form), week, status
        ),
    )


def _objective_page(
    request: TenantRequest,
    objective: Objective,
    status: int = 200,
    *,
    risk_form: RiskForm | None = None,
    review: tuple[Risk, RiskReviewForm] | None = None,
) -> HttpResponse:
    """An objective's check-ins and pre-mortem; `review` is a retrospective answer that failed,
    shown on its risk's row."""
    context = {
        "objective": objective,
        "history": checkin_history(org=request.org, objective=objective),
        "progress": objective_progress(org=request.org, objective=objective),
        "risks": objective_risks(org=request.org, objective=objective),
        "can_plan": can_plan_risks(request.membership, objective),
        "risk_form": risk_form or RiskForm(),
        "review_form": RiskReviewForm(),
        "reviewed_risk": review[0].pk if review else None,
        "failed_review_form": review[1] if review else None,
    }
    return render(request, "reviews/objective_checkins.html", context, status=status)


@org_view
@require_GET
def objective_checkins(request: TenantRequest, objective_id: str) -> HttpResponse:
    objective = objective_get(org=request.org, objective_id=objective_id)
    return _objective_page(request, objective)


@org_view
@require_GET
def missing(request: TenantRequest) -> HttpResponse:
    membership = request.membership
    ensure_allowed(membership.role in (Role.ADMIN, Role.EXECUTIVE, Role.FINANCE, Role.LEAD))
    teams = missing_by_team(org=request.org)
    if membership.role == Role.LEAD:
        teams = {team: objs for team, objs in teams.items() if leads_team(membership, team)}
    return render(request, "reviews/checkin_missing.html", {"teams": teams})


@org_view
def meetings(request: TenantRequest) -> HttpResponse:
    return form_submit(
        request,
        MeetingForm(request.POST or None, org=request.org, initial={"kind": MeetingKind.MONTHLY}),
        lambda form: services.meeting_create(
            org=request.org, actor=request.membership, **form.cleaned_data
        ),
        on_success=lambda meeting: redirect(
            "reviews:meeting", org_slug=request.org.slug, meeting_id=meeting.pk
        ),
        page=lambda form, status: render(
            request,
            "reviews/meeting_list.html",
            {"meetings": meeting_list(org=request.org), "form": form},
            status=status,
        ),
    )


def _meeting_context(request: TenantRequest, meeting: ReviewMeeting, **forms) -> dict:
    return {
        "meeting": meeting,
        **meeting_detail(org=request.org, meeting=meeting),
        "can_run": can_run_review(request.membership, meeting.kind, meeting.team),
        "attention": {kind.value: kind.label for kind in Kind},
        "today": org_today(request.org),
        "notes_form": forms.get("notes_form") or NotesForm(initial={"notes": meeting.notes}),
        "decision_form": forms.get("decision_form") or DecisionForm(),
        "action_form": forms.get("action_form") or ActionForm(org=request.org),
    }


@org_view
def meeting(request: TenantRequest, meeting_id: str) -> HttpResponse:
    meeting = meeting_get(org=request.org, meeting_id=meeting_id)
    if request.method != "POST":
        return render(request, "reviews/meeting_detail.html", _meeting_context(request, meeting))
    part = request.POST.get("part")
    forms = {
        "notes": ("notes_form", NotesForm(request.POST)),
        "decision": ("decision_form", DecisionForm(request.POST)),
        "action": ("action_form", ActionForm(request.POST, org=request.org)),
    }
    if part not in forms:
        return HttpResponse("Unknown part of the meeting.", status=400)
    name, form = forms[part]
    return form_submit(
        request,
        form,
        lambda form: _meeting_write(request, meeting, part, form.cleaned_data),
        on_success=lambda _: redirect(
            "reviews:meeting", org_slug=request.org.slug, meeting_id=meeting.pk
        ),
        page=lambda form, status: render(
            request,
            "reviews/meeting_detail.html",
            _meeting_context(request, meeting, **{name: form}),
            status=status,
        ),
    )


def _meeting_write(request: TenantRequest, meeting: ReviewMeeting, part: str, data: dict) -> None:
    org, actor = request.org, request.membership
    if part == "notes":
        services.meeting_notes_set(org=org, actor=actor, meeting=meeting, notes=data["notes"])
    elif part == "decision":
        services.decision_record(org=org, actor=actor, meeting=meeting, text=data["text"])
    else:
        services.action_create(org=org, actor=actor, meeting=meeting, **data)


@org_view
def action_status(request: TenantRequest, action_id: str) -> HttpResponse:
    action = action_get(org=request.org, action_id=action_id)
    if (refused := _post_only(request)) is not None:
        return refused
    try:
        services.action_status_set(
            org=request.org,
            actor=request.membership,
            action=action,
            status=request.POST.get("status", ""),
        )
    except ValidationError as exc:
        return HttpResponse("; ".join(exc.messages), status=400)
    if request.htmx:
        return HttpResponseClientRefresh()
    return HttpResponseRedirect(safe_next(request, reverse("reviews:owe", args=[request.org.slug])))


@org_view
def risk_add(request: TenantRequest, objective_id: str) -> HttpResponse:
    objective = objective_get(org=request.org, objective_id=objective_id)
    if (refused := _post_only(request)) is not None:
        return refused
    return form_submit(
        request,
        RiskForm(request.POST),
        lambda form: services.risk_add(
            org=request.org, actor=request.membership, objective=objective, **form.cleaned_data
        ),
        on_success=lambda _: redirect(
            "reviews:objective-checkins", org_slug=request.org.slug, objective_id=objective.pk
        ),
        page=lambda form, status: _objective_page(request, objective, status, risk_form=form),
    )


@org_view
def risk_review(request: TenantRequest, risk_id: str) -> HttpResponse:
    risk = risk_get(org=request.org, risk_id=risk_id)
    if (refused := _post_only(request)) is not None:
        return refused
    return form_submit(
        request,
        RiskReviewForm(request.POST),
        lambda form: services.risk_review(
            org=request.org, actor=request.membership, risk=risk, **form.cleaned_data
        ),
        on_success=lambda _: redirect(
            "reviews:objective-checkins", org_slug=request.org.slug, objective_id=risk.objective_id
        ),
        page=lambda form, status: _objective_page(
            request, risk.objective, status, review=(risk, form)
        ),
    )
