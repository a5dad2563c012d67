"""Pinning a KPI to one's dashboard (the dashboard pages are in reviews.views_dashboards)."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseNotAllowed, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from metrics.selectors import kpi_get
from metrics.services import kpi_pin_toggle
from perfmgmt.http import safe_next
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest


@org_view
def pin(request: TenantRequest, kpi_id: str) -> HttpResponse:
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    pinned = kpi_pin_toggle(org=request.org, actor=request.membership, kpi=kpi)
    if request.htmx:
        response = render(
            request, "metrics/partials/pin_button.html", {"kpi": kpi, "pinned": pinned}
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    default = reverse("reviews:dashboard", kwargs={"org_slug": request.org.slug})
    return HttpResponseRedirect(safe_next(request, default))
