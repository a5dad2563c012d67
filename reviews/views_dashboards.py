"""The role dashboards and the exceptions list."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from metrics.dashboards import KEY_METRICS_LIMIT, attainment_chart
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from reviews.dashboards import DASHBOARD_VIEWS, dashboard_get, default_view, exceptions_get
from reviews.health import strategy_health


@org_view
@require_GET
def dashboard(request: TenantRequest) -> HttpResponse:
    view = request.GET.get("view") or default_view(request.membership)
    if view not in DASHBOARD_VIEWS:
        view = default_view(request.membership)
    board = dashboard_get(org=request.org, membership=request.membership, view=view)
    context = {
        "board": board,
        "views": DASHBOARD_VIEWS,
        "limit": KEY_METRICS_LIMIT,
        "chart": attainment_chart(board.cards),
    }
    return render(request, "reviews/dashboard_page.html", context)


@org_view
@require_GET
def exceptions(request: TenantRequest) -> HttpResponse:
    return render(
        request, "reviews/exception_list.html", {"exceptions": exceptions_get(org=request.org)}
    )


@org_view
@require_GET
def health(request: TenantRequest) -> HttpResponse:
    return render(request, "reviews/health_page.html", {"health": strategy_health(org=request.org)})
