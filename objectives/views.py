"""The forms that plan the cascade (its pages are in metrics.views_cascade)."""

from __future__ import annotations

from django.http import HttpResponse
from django.urls import reverse

from objectives import services
from objectives.forms import ObjectiveForm, PriorityForm
from objectives.models import StrategicPriority
from objectives.selectors import objective_get, priority_get
from perfmgmt.permissions import can_edit_objective, can_manage_strategy, can_plan
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from perfmgmt.validation import ensure_allowed
from perfmgmt.views import service_form_page


def _cascade_url(request: TenantRequest) -> str:
    return reverse("cascade:cascade", kwargs={"org_slug": request.org.slug})


def _objective_fields(form: ObjectiveForm) -> dict:
    data = dict(form.cleaned_data)
    period = data.pop("period")
    return {**data, "period_kind": period.kind, "period_date": period.start}


@org_view
def priority_create(request: TenantRequest) -> HttpResponse:
    ensure_allowed(can_manage_strategy(request.membership))
    form = PriorityForm(request.POST or None, org=request.org, instance=StrategicPriority())
    return service_form_page(
        request,
        form,
        title="New strategic priority",
        save=lambda f: services.priority_create(
            org=request.org, actor=request.membership, **f.service_fields()
        ),
        success_url=_cascade_url(request),
    )


def _history_url(request: TenantRequest, kind: str, pk: object) -> str:
    # The History pages read across the floors, so they live on the top one (reviews).
    return reverse(
        f"reviews:{kind}-history", kwargs={"org_slug": request.org.slug, f"{kind}_id": pk}
    )


@org_view
def priority_edit(request: TenantRequest, priority_id: str) -> HttpResponse:
    ensure_allowed(can_manage_strategy(request.membership))
    priority = priority_get(org=request.org, priority_id=priority_id)
    form = PriorityForm(request.POST or None, org=request.org, instance=priority)
    return service_form_page(
        request,
        form,
        title=f"Edit priority: {priority.title}",
        history_url=_history_url(request, "priority", priority.pk),
        # The form has already copied its data onto `priority`; the service validates it again.
        save=lambda f: services.priority_update(
            org=request.org, actor=request.membership, priority=priority, **f.service_fields()
        ),
        success_url=_cascade_url(request),
    )


@org_view
def objective_create(request: TenantRequest) -> HttpResponse:
    membership = request.membership
    ensure_allowed(can_plan(membership))
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
def objective_edit(request: TenantRequest, objective_id: str) -> HttpResponse:
    objective = objective_get(org=request.org, objective_id=objective_id)
    ensure_allowed(can_edit_objective(request.membership, objective))
    form = ObjectiveForm(
        request.POST or None, org=request.org, initial=ObjectiveForm.initial_for(objective)
    )
    return service_form_page(
        request,
        form,
        title=f"Edit objective: {objective.title}",
        history_url=_history_url(request, "objective", objective.pk),
        save=lambda f: services.objective_update(
            org=request.org, actor=request.membership, objective=objective, **_objective_fields(f)
        ),
        success_url=_cascade_url(request),
    )
