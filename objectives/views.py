"""The cascade page and the forms that plan it."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from objectives import services
from objectives.explorer import Filters, explorer_get, priority_subtree, strategy_map
from objectives.forms import ObjectiveForm, PriorityForm
from objectives.models import Perspective, StrategicPriority
from objectives.selectors import cascade_get, objective_get, priority_get
from perfmgmt.forms import org_users
from perfmgmt.models import Role, Team
from perfmgmt.permissions import can_edit_objective, can_manage_strategy
from perfmgmt.tenancy import org_scope, org_view
from perfmgmt.validation import ensure_allowed
from perfmgmt.views import service_form_page


def _cascade_url(request: HttpRequest) -> str:
    return reverse("objectives:cascade", kwargs={"org_slug": request.org.slug})


@org_view
def cascade(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    context = {
        "cascade": cascade_get(org=request.org),
        "can_manage": can_manage_strategy(membership),
        "can_plan": can_manage_strategy(membership) or membership.role == Role.LEAD,
    }
    return render(request, "objectives/cascade_page.html", context)


def _priority_fields(form: PriorityForm) -> dict:
    return {name: form.cleaned_data[name] for name in services.PRIORITY_FIELDS}


def _objective_fields(form: ObjectiveForm) -> dict:
    data = dict(form.cleaned_data)
    period = data.pop("period")
    return {**data, "period_kind": period.kind, "period_date": period.start}


@org_view
def priority_create(request: HttpRequest) -> HttpResponse:
    ensure_allowed(can_manage_strategy(request.membership))
    form = PriorityForm(request.POST or None, org=request.org, instance=StrategicPriority())
    return service_form_page(
        request,
        form,
        title="New strategic priority",
        save=lambda f: services.priority_create(
            org=request.org, actor=request.membership, **_priority_fields(f)
        ),
        success_url=_cascade_url(request),
    )


@org_view
def priority_edit(request: HttpRequest, priority_id: str) -> HttpResponse:
    ensure_allowed(can_manage_strategy(request.membership))
    priority = priority_get(org=request.org, priority_id=priority_id)
    form = PriorityForm(request.POST or None, org=request.org, instance=priority)
    return service_form_page(
        request,
        form,
        title=f"Edit priority: {priority.title}",
        # The form has already copied its data onto `priority`; the service validates it again.
        save=lambda f: services.priority_update(
            org=request.org, actor=request.membership, priority=priority, **_priority_fields(f)
        ),
        success_url=_cascade_url(request),
    )


@org_view
def objective_create(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    ensure_allowed(can_manage_strategy(membership) or membership.role == Role.LEAD)
    form = ObjectiveForm(request.POST or None, org=request.org)
    return service_form_page(
        request,
        form,
        title="New objective",
        save=lambda f: services.objective_create(
            org=request.org, actor=membership, **_objective_fields(f)
        ),
        success_url=_cascade_url(request),
    )


@org_view
def objective_edit(request: HttpRequest, objective_id: str) -> HttpResponse:
    objective = objective_get(org=request.org, objective_id=objective_id)
    ensure_allowed(can_edit_objective(request.membership, objective))
    form = ObjectiveForm(
        request.POST or None, org=request.org, initial=ObjectiveForm.initial_for(objective)
    )
    return service_form_page(
        request,
        form,
        title=f"Edit objective: {objective.title}",
        save=lambda f: services.objective_update(
            org=request.org, actor=request.membership, objective=objective, **_objective_fields(f)
        ),
        success_url=_cascade_url(request),
    )


def _filter_context(request: HttpRequest) -> dict:
    filters = Filters.from_query(request.GET)
    with org_scope(request.org):
        teams = list(Team.objects.values_list("slug", "name"))
    return {
        "filters": filters,
        "teams": teams,
        "perspectives": Perspective.choices,
        "owners": list(org_users(request.org).values_list("username", flat=True)),
    }


@org_view
@require_GET
def explorer(request: HttpRequest) -> HttpResponse:
    """The cascade, priority by priority; filters update the tree in place."""
    context = _filter_context(request)
    context["explorer"] = explorer_get(org=request.org, filters=context["filters"])
    template = "objectives/explorer_page.html"
    if request.htmx and request.htmx.target == "explorer-tree":
        template += "#explorer-tree"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@org_view
@require_GET
def explorer_priority(request: HttpRequest, priority_id: str) -> HttpResponse:
    """One priority's row, expanded (its objectives and KPIs) or collapsed again."""
    priority = priority_get(org=request.org, priority_id=priority_id)
    filters = Filters.from_query(request.GET)
    expanded = request.GET.get("collapse") != "1"
    context = {
        "row": {"priority": priority},
        "filters": filters,
        "expanded": expanded,
        "nodes": priority_subtree(org=request.org, priority=priority, filters=filters)
        if expanded
        else [],
    }
    response = render(request, "objectives/explorer_page.html#priority-row", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@org_view
@require_GET
def strategy_map_page(request: HttpRequest) -> HttpResponse:
    context = _filter_context(request)

    def url_for(objective: object) -> str:
        return reverse(
            "reviews:objective-checkins",
            kwargs={"org_slug": request.org.slug, "objective_id": objective.pk},
        )

    context["map"] = strategy_map(org=request.org, filters=context["filters"], url_for=url_for)
    return render(request, "objectives/strategy_map.html", context)
