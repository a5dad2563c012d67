"""Pages of the people layer. Every object comes through a selector that applies the wall."""

from __future__ import annotations

import io
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.forms import BaseForm
from django.http import FileResponse, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from metrics.selectors import kpi_list
from objectives.selectors import objective_list
from perfmgmt.http import to_its_page
from perfmgmt.periods import org_today
from perfmgmt.selectors import org_members
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from perfmgmt.validation import ensure_admin
from perfmgmt.views import form_submit
from reviews.people import competency_selectors, rules, selectors, services
from reviews.people.forms import (
    CompanyValueForm,
    MilestoneReviewForm,
    OneOnOneActionForm,
    PartnerForm,
    PeopleSettingsForm,
    PlanForm,
    PlanMoveForm,
    PrivateNoteForm,
    RecognitionForm,
    ScheduleForm,
    TalkingPointForm,
    TickForm,
)
from reviews.people.models import ImprovementPlan, OneOnOne, PlanState
from reviews.people.pdf import plan_pdf_bytes


def _page(request: TenantRequest, template: str, context: dict, status: int = 200) -> HttpResponse:
    return render(request, f"people/{template}", context, status=status)


def _errors(form: BaseForm) -> str:
    """A rejected small form, said in one line (the page it came from shows it as a message)."""
    return " ".join(str(message) for errors in form.errors.values() for message in errors)


def _back_with_errors(request: TenantRequest, url: str, call: Callable[[], object]) -> HttpResponse:
    """Run a service behind a button; a refusal comes back as a message on the same page."""
    try:
        call()
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(url)


@org_view
@require_GET
def home(request: TenantRequest) -> HttpResponse:
    org, actor = request.org, request.membership
    context = {
        "one_on_ones": selectors.one_on_one_list(org=org, actor=actor).filter(held_at__isnull=True),
        "signals": selectors.team_signals(org=org, actor=actor),
        "plans": selectors.plan_list(org=org, actor=actor),
        "is_partner": rules.is_people_partner(actor),
        "can_calibrate": rules.can_calibrate(actor),
        "can_draft": bool(selectors.draftable_people(org=org, actor=actor)),
    }
    return _page(request, "people_home.html", context)


# --- 1:1s


@org_view
def one_on_one_new(request: TenantRequest) -> HttpResponse:
    members = rules.led_members(request.membership)
    form = ScheduleForm(
        request.POST or None, members=members, initial={"scheduled_for": org_today(request.org)}
    )
    return form_submit(
        request,
        form,
        lambda f: services.one_on_one_schedule(
            org=request.org, actor=request.membership, **f.cleaned_data
        ),
        on_success=lambda meeting: redirect(_meeting_url(request, meeting)),
        page=lambda f, status: _page(request, "oneonone_new.html", {"form": f}, status),
    )


def _meeting_url(request: TenantRequest, meeting: OneOnOne) -> str:
    return reverse(
        "people:one-on-one", kwargs={"org_slug": request.org.slug, "one_on_one_id": meeting.pk}
    )


def _meeting(request: TenantRequest, one_on_one_id: str) -> OneOnOne:
    return selectors.one_on_one_get(
        org=request.org, actor=request.membership, one_on_one_id=one_on_one_id
    )


@never_cache  # private notes: no cache may keep a copy
@org_view
@require_GET
def one_on_one(request: TenantRequest, one_on_one_id: str) -> HttpResponse:
    meeting = _meeting(request, one_on_one_id)
    detail = selectors.one_on_one_detail(org=request.org, actor=request.membership, meeting=meeting)
    context = {
        "detail": detail,
        "meeting": meeting,
        "suggestions": selectors.suggested_points(
            org=request.org, actor=request.membership, meeting=meeting
        ),
        "point_form": TalkingPointForm(),
        "note_form": PrivateNoteForm(initial={"text": detail.note.text if detail.note else ""}),
        "action_form": OneOnOneActionForm(people=[meeting.lead, meeting.report]),
        "is_lead": request.membership.user_id == meeting.lead_id,
    }
    return _page(request, "oneonone_detail.html", context)


def _meeting_post(
    request: TenantRequest,
    one_on_one_id: str,
    form_class: type,
    save: Callable[[OneOnOne, dict], object],
) -> HttpResponse:
    """A small form posted from the 1:1 page: validate, call the service, back to the page."""
    meeting = _meeting(request, one_on_one_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = form_class(request.POST)
    url = _meeting_url(request, meeting)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(url)
    return _back_with_errors(request, url, lambda: save(meeting, form.cleaned_data))


@org_view
def one_on_one_point(request: TenantRequest, one_on_one_id: str) -> HttpResponse:
    return _meeting_post(
        request,
        one_on_one_id,
        TalkingPointForm,
        lambda m, data: services.talking_point_add(
            org=request.org, actor=request.membership, meeting=m, **data
        ),
    )


@org_view
def one_on_one_tick(request: TenantRequest, one_on_one_id: str) -> HttpResponse:
    return _meeting_post(
        request,
        one_on_one_id,
        TickForm,
        lambda m, data: services.talking_point_tick(
            org=request.org,
            actor=request.membership,
            meeting=m,
            point_id=data["point"],
            done=data["done"],
        ),
    )


@org_view
def one_on_one_note(request: TenantRequest, one_on_one_id: str) -> HttpResponse:
    return _meeting_post(
        request,
        one_on_one_id,
        PrivateNoteForm,
        lambda m, data: services.private_note_save(
            org=request.org, actor=request.membership, meeting=m, **data
        ),
    )


@org_view
def one_on_one_action(request: TenantRequest, one_on_one_id: str) -> HttpResponse:
    meeting = _meeting(request, one_on_one_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = OneOnOneActionForm(request.POST, people=[meeting.lead, meeting.report])
    url = _meeting_url(request, meeting)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(url)
    return _back_with_errors(
        request,
        url,
        lambda: services.one_on_one_action_add(
            org=request.org, actor=request.membership, meeting=meeting, **form.cleaned_data
        ),
    )


@org_view
def one_on_one_hold(request: TenantRequest, one_on_one_id: str) -> HttpResponse:
    meeting = _meeting(request, one_on_one_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    following = services.one_on_one_hold(org=request.org, actor=request.membership, meeting=meeting)
    messages.success(
        request, f"1:1 held. The next is planned for {following.scheduled_for:%-d %B %Y}."
    )
    return redirect(_meeting_url(request, following))


# --- recognition


def _recognition_form(request: TenantRequest) -> RecognitionForm:
    org = request.org
    initial = {k: request.GET[k] for k in ("recipient", "kpi", "objective") if k in request.GET}
    return RecognitionForm(
        request.POST or None,
        initial=initial,
        people=org_members(org).exclude(pk=request.user.pk),
        teams=selectors.teams_of(org),
        objectives=objective_list(org=org),
        kpis=kpi_list(org=org),
        values=selectors.company_values(org),
    )


@org_view
def recognition(request: TenantRequest) -> HttpResponse:
    org, actor = request.org, request.membership

    def page(form: RecognitionForm, status: int) -> HttpResponse:
        feed = selectors.recognition_list(org=org, actor=actor)
        return _page(request, "recognition_page.html", {"form": form, "feed": feed}, status)

    def saved(_: object) -> HttpResponse:
        messages.success(request, "Thank you: your recognition is posted.")
        return redirect("people:recognition", org_slug=org.slug)

    return form_submit(
        request,
        _recognition_form(request),
        lambda f: services.recognition_give(org=org, actor=actor, **f.cleaned_data),
        on_success=saved,
        page=page,
    )


@org_view
@require_GET
def recognition_feed(request: TenantRequest) -> HttpResponse:
    """The dashboard's recognition feed, loaded into it with hx-get: the dashboard itself never
    reads the people layer. Opened as a page itself, it is the recognition page."""
    if not request.htmx:
        return to_its_page(reverse("people:recognition", kwargs={"org_slug": request.org.slug}))
    feed = selectors.recognition_list(org=request.org, actor=request.membership, limit=5)
    response = _page(request, "partials/recognition-feed.html", {"feed": feed})
    response["Vary"] = "HX-Request"
    return response


@org_view
@require_GET
def leaderboard(request: TenantRequest) -> HttpResponse:
    people = selectors.people_settings_of(request.org).person_leaderboard
    rows = selectors.leaderboard(org=request.org)
    person_rows = selectors.leaderboard(org=request.org, people=True) if people else None
    context = {"rows": rows, "person_rows": person_rows}
    return _page(request, "leaderboard_page.html", context)


# --- plans


def _plan(request: TenantRequest, plan_id: str) -> ImprovementPlan:
    return selectors.plan_get(org=request.org, actor=request.membership, plan_id=plan_id)


def _plan_url(request: TenantRequest, plan: ImprovementPlan) -> str:
    return reverse("people:plan", kwargs={"org_slug": request.org.slug, "plan_id": plan.pk})


@org_view
def plan_new(request: TenantRequest) -> HttpResponse:
    org, actor = request.org, request.membership
    form = PlanForm(
        request.POST or None,
        people=selectors.draftable_people(org=org, actor=actor),
        kpis=selectors.kpis_of_led_people(org=org, actor=actor),
        initial={"start_date": org_today(org), "duration_days": 60},
    )
    return form_submit(
        request,
        form,
        lambda f: services.plan_draft(
            org=org,
            actor=actor,
            person=f.cleaned_data["person"],
            expectations=f.expectations(),
            **f.plan_fields(),
        ),
        on_success=lambda plan: redirect(_plan_url(request, plan)),
        page=lambda f, status: _page(request, "plan_form.html", {"form": f, "plan": None}, status),
    )


@never_cache
@org_view
@require_GET
def plan(request: TenantRequest, plan_id: str) -> HttpResponse:
    found = _plan(request, plan_id)
    actor = request.membership
    detail = selectors.plan_detail(org=request.org, plan=found)
    context = {
        "detail": detail,
        "plan": found,
        "can_edit": rules.can_edit_plan(actor, found),
        "milestone_forms": [
            (m, MilestoneReviewForm(initial={"due_on": m.due_on}, auto_id=f"milestone-{i}-%s"))
            for i, m in enumerate(detail.milestones)
            if m.reviewed_at is None
        ],
        "can_approve": rules.can_approve_plan(actor, found),
        "can_sign": rules.can_acknowledge_plan(actor, found) and found.needs_signature,
        "moves": set()
        if found.needs_signature
        else services.TRANSITIONS.get(PlanState(found.state), set()),
    }
    return _page(request, "plan_detail.html", context)


@org_view
def plan_edit(request: TenantRequest, plan_id: str) -> HttpResponse:
    found = _plan(request, plan_id)
    if not rules.can_edit_plan(request.membership, found):
        return redirect(_plan_url(request, found))
    with_kpis = list(found.expectations.all()) if request.method != "POST" else []
    initial = {
        "concerns": found.concerns,
        "support": found.support,
        "consequences": found.consequences,
        "start_date": found.start_date,
        "duration_days": found.duration_days,
        **{f"kpi_{i}": e.kpi_id for i, e in enumerate(with_kpis, 1)},
        **{f"target_{i}": e.target for i, e in enumerate(with_kpis, 1)},
    }
    form = PlanForm(
        request.POST or None,
        kpis=selectors.kpis_of_led_people(org=request.org, actor=request.membership),
        initial=initial,
    )
    return form_submit(
        request,
        form,
        lambda f: services.plan_update(
            org=request.org,
            actor=request.membership,
            plan=found,
            expectations=f.expectations(),
            **f.plan_fields(),
        ),
        on_success=lambda p: redirect(_plan_url(request, p)),
        page=lambda f, status: _page(request, "plan_form.html", {"form": f, "plan": found}, status),
    )


@org_view
def plan_approve(request: TenantRequest, plan_id: str) -> HttpResponse:
    found = _plan(request, plan_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _back_with_errors(
        request,
        _plan_url(request, found),
        lambda: services.plan_approve(org=request.org, actor=request.membership, plan=found),
    )


@org_view
def plan_acknowledge(request: TenantRequest, plan_id: str) -> HttpResponse:
    found = _plan(request, plan_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    return _back_with_errors(
        request,
        _plan_url(request, found),
        lambda: services.plan_acknowledge(org=request.org, actor=request.membership, plan=found),
    )


@org_view
def plan_move(request: TenantRequest, plan_id: str) -> HttpResponse:
    found = _plan(request, plan_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = PlanMoveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "Choose what happens to the plan.")
        return redirect(_plan_url(request, found))
    return _back_with_errors(
        request,
        _plan_url(request, found),
        lambda: services.plan_move(
            org=request.org, actor=request.membership, plan=found, to=form.cleaned_data["to"]
        ),
    )


@org_view
def plan_milestone(request: TenantRequest, plan_id: str) -> HttpResponse:
    found = _plan(request, plan_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    form = MilestoneReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(_plan_url(request, found))
    return _back_with_errors(
        request,
        _plan_url(request, found),
        lambda: services.milestone_review(
            org=request.org, actor=request.membership, plan=found, **form.cleaned_data
        ),
    )


@never_cache
@org_view
@require_GET
def plan_pdf(request: TenantRequest, plan_id: str) -> FileResponse:
    found = _plan(request, plan_id)
    detail = selectors.plan_detail(org=request.org, plan=found)
    return FileResponse(
        io.BytesIO(plan_pdf_bytes(org=request.org, detail=detail)),
        as_attachment=True,
        filename=f"improvement-plan-{found.pk}.pdf",
        content_type="application/pdf",
    )


# --- settings and data rights


@org_view
def partners(request: TenantRequest) -> HttpResponse:
    ensure_admin(request.membership, "grant the people partner permission")
    org = request.org
    form = PartnerForm(request.POST or None, members=selectors.members_of(org))

    def save(f: PartnerForm) -> None:
        grant = f.cleaned_data["grant"]
        call = services.people_partner_grant if grant else services.people_partner_revoke
        call(org=org, actor=request.membership, member=f.cleaned_data["member"])

    return form_submit(
        request,
        form,
        save,
        on_success=lambda _: redirect("people:partners", org_slug=org.slug),
        page=lambda f, status: _page(
            request,
            "partners_page.html",
            {
                "form": f,
                "partners": selectors.people_partners(org),
                "settings_form": PeopleSettingsForm(
                    initial={
                        name: getattr(selectors.people_settings_of(org), name)
                        for name in services.SETTINGS_FIELDS
                    }
                ),
                "value_form": CompanyValueForm(),
                "values": selectors.company_values(org),
            },
            status,
        ),
    )


@org_view
@require_POST
def people_settings(request: TenantRequest) -> HttpResponse:
    ensure_admin(request.membership, "change the people settings")
    form = PeopleSettingsForm(request.POST)
    url = reverse("people:partners", kwargs={"org_slug": request.org.slug})
    if not form.is_valid():
        messages.error(request, _errors(form))
        return redirect(url)
    return _back_with_errors(
        request,
        url,
        lambda: services.people_settings_update(
            org=request.org, actor=request.membership, **form.cleaned_data
        ),
    )


@org_view
@require_POST
def company_value_add(request: TenantRequest) -> HttpResponse:
    ensure_admin(request.membership, "set the organisation's values")
    form = CompanyValueForm(request.POST)
    url = reverse("people:partners", kwargs={"org_slug": request.org.slug})
    if not form.is_valid():
        messages.error(request, "Name the value.")
        return redirect(url)
    return _back_with_errors(
        request,
        url,
        lambda: services.company_value_add(
            org=request.org, actor=request.membership, **form.cleaned_data
        ),
    )


@never_cache
@org_view
@require_GET
def my_data(request: TenantRequest) -> HttpResponse:
    data = selectors.my_people_data(org=request.org, actor=request.membership)
    data |= competency_selectors.my_competency_data(org=request.org, actor=request.membership)
    response = JsonResponse(data, json_dumps_params={"indent": 2})
    response["Content-Disposition"] = 'attachment; filename="my-people-data.json"'
    return response
