"""The lead→lag page: every declared link with what the data say of it, and suggested leads."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from metrics.forecasting.selectors import lead_lag_overview, org_lead_suggestions
from metrics.models import LinkVerdict
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest


@org_view
@require_GET
def lead_lag(request: TenantRequest) -> HttpResponse:
    # The suggestions run the tests of every KPI against every lag KPI: a fragment the page
    # fetches once it is shown, so the declared links never wait on them.
    # Without JavaScript, ?suggest=1 renders the page with them.
    wanted = bool(request.GET.get("suggest"))
    if request.htmx and request.htmx.target == "candidate-leads":
        context = {"suggestions": org_lead_suggestions(org=request.org), "suggested": True}
        response = render(request, "metrics/leadlag_page.html#candidate-leads", context)
    else:
        context = {
            "overview": lead_lag_overview(org=request.org),
            "verdicts": LinkVerdict,
            "suggested": wanted,
            "suggestions": org_lead_suggestions(org=request.org) if wanted else [],
        }
        response = render(request, "metrics/leadlag_page.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response
