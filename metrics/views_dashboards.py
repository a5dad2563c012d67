"""Role dashboards, the exceptions list and pinning KPIs."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from metrics.dashboards import (
    DASHBOARD_ROLES,
    KEY_METRICS_LIMIT,
    attainment_chart,
    dashboard_get,
    default_view,
    exceptions_get,
)
from metrics.selectors import kpi_get
from metrics.services import kpi_pin_toggle
from perfmgmt.http import safe_next
from perfmgmt.tenancy import org_view


@org_view
@require_GET
def dashboard(request: HttpRequest) -> HttpResponse:
    view = request.GET.get("view") or default_view(request.membership)
    if view not in DASHBOARD_ROLES:
        view = default_view(request.membership)
    board = dashboard_get(org=request.org, membership=request.membership, view=view)
    context = {
        "board": board,
        "views": DASHBOARD_ROLES,
        "limit": KEY_METRICS_LIMIT,
        "chart": attainment_chart(board.cards),
    }
    return render(request, "metrics/dashboard_page.html", context)


@org_view
@require_GET
def exceptions(request: HttpRequest) -> HttpResponse:
    return render(
        request, "metrics/exception_list.html", {"exceptions": exceptions_get(org=request.org)}
    )


@org_view
def pin(request: HttpRequest, kpi_id: str) -> HttpResponse:
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    pinned = kpi_pin_toggle(org=request.org, actor=request.membership, kpi=kpi)
    if request.htmx:
        response = render(
            request, "metrics/dashboard_page.html#pin-button", {"kpi": kpi, "pinned": pinned}
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    default = reverse("metrics:dashboard", kwargs={"org_slug": request.org.slug})
    return HttpResponseRedirect(safe_next(request, default))
