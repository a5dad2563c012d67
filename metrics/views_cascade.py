"""The cascade page, the explorer and the strategy map: the cascade with its KPIs' status."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from metrics.cascade import (
    Filters,
    cascade_get,
    cascade_owners,
    explorer_get,
    priority_subtree,
    strategy_map,
)
from objectives.models import Objective, Perspective
from objectives.selectors import priority_get
from perfmgmt.http import to_its_page
from perfmgmt.permissions import can_manage_strategy, can_plan
from perfmgmt.selectors import team_list
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest


@org_view
def cascade(request: TenantRequest) -> HttpResponse:
    membership = request.membership
    context = {
        "cascade": cascade_get(org=request.org),
        "can_manage": can_manage_strategy(membership),
        "can_plan": can_plan(membership),
    }
    return render(request, "metrics/cascade_page.html", context)


def _filter_context(request: TenantRequest) -> dict:
    filters = Filters.from_query(request.GET)
    teams = list(team_list(org=request.org).values_list("slug", "name"))
    return {
        "filters": filters,
        "teams": teams,
        "perspectives": Perspective.choices,
        "owners": cascade_owners(org=request.org),
    }


@org_view
@require_GET
def explorer(request: TenantRequest) -> HttpResponse:
    """The cascade, priority by priority; filters update the tree in place."""
    context = _filter_context(request)
    context["explorer"] = explorer_get(org=request.org, filters=context["filters"])
    template = "metrics/explorer_page.html"
    if request.htmx and request.htmx.target == "explorer-tree":
        template += "#explorer-tree"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@org_view
@require_GET
def explorer_priority(request: TenantRequest, priority_id: str) -> HttpResponse:
    """One priority's row, expanded (its objectives and KPIs) or collapsed again.

    The row is a piece of the explorer for htmx to swap in; a browser that opens its address
    itself (a bookmark, a new tab) is sent to the explorer at that row."""
    priority = priority_get(org=request.org, priority_id=priority_id)
    if not request.htmx:
        explorer_url = reverse("cascade:explorer", kwargs={"org_slug": request.org.slug})
        query = request.GET.copy()
        query.pop("collapse", None)
        suffix = f"?{query.urlencode()}" if query else ""
        return to_its_page(f"{explorer_url}{suffix}#explorer-{priority.pk}")
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
    response = render(request, "metrics/explorer_page.html#priority-row", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@org_view
@require_GET
def strategy_map_page(request: TenantRequest) -> HttpResponse:
    context = _filter_context(request)

    def url_for(objective: Objective) -> str:
        return reverse(
            "reviews:objective-checkins",
            kwargs={"org_slug": request.org.slug, "objective_id": objective.pk},
        )

    context["map"] = strategy_map(org=request.org, filters=context["filters"], url_for=url_for)
    return render(request, "metrics/strategy_map.html", context)
