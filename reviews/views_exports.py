"""Downloads of what people see, as CSV or XLSX (`?format=xlsx`): a KPI's values, the exceptions
list and the explorer's filtered view. Each reads what its page reads, so a download never holds
more than the person could see on the page."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.views.decorators.http import require_GET

from metrics.cascade import Filters, explorer_kpis
from metrics.selectors import kpi_get, kpi_values
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from reviews.dashboards import exceptions_get
from reviews.exports import download


def _format(request: TenantRequest) -> str:
    return "xlsx" if request.GET.get("format") == "xlsx" else "csv"


@org_view
@require_GET
def kpi_values_export(request: TenantRequest, kpi_id: str) -> HttpResponse:
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    unit = f" ({kpi.unit})" if kpi.unit else ""
    rows = (
        [
            value.period_date,
            value.value,
            value.get_confidence_display(),
            value.get_source_display(),
            value.note,
            display_name(value.recorded_by) if value.recorded_by else "",
            timezone.localtime(value.updated_at).replace(tzinfo=None),
        ]
        for value in kpi_values(org=request.org, kpi=kpi).order_by("period_date").iterator()
    )
    headers = ["Period", f"Value{unit}", "Confidence", "Source", "Note", "Recorded by", "Updated"]
    return download(f"{kpi.key}-values", _format(request), kpi.name, headers, rows)


@org_view
@require_GET
def exceptions_export(request: TenantRequest) -> HttpResponse:
    items = exceptions_get(org=request.org).items
    rows = (
        [item.label, item.title, display_name(item.owner), item.detail, item.score, item.why]
        for item in items
    )
    headers = ["Kind", "KPI or objective", "Owner", "Why", "Attention score", "Signals"]
    return download("exceptions", _format(request), "Exceptions", headers, rows)


@org_view
@require_GET
def explorer_export(request: TenantRequest) -> HttpResponse:
    """The KPIs the explorer shows for these filters, one row each."""
    filters = Filters.from_query(request.GET)
    rows = (
        [
            priority.get_perspective_display(),
            priority.title,
            objective.title,
            objective.team.name,
            status.kpi.name,
            status.kpi.unit,
            status.kpi.get_kind_display(),
            display_name(status.kpi.outcome_owner),
            status.latest.period_date if status.latest else None,
            status.latest.value if status.latest else None,
            status.target.value if status.target else None,
            status.rag_label,
            status.latest.confidence_label if status.latest else "",
        ]
        for priority, objective, status in explorer_kpis(org=request.org, filters=filters)
    )
    headers = [
        "Perspective",
        "Priority",
        "Objective",
        "Team",
        "KPI",
        "Unit",
        "Lead/lag",
        "Outcome owner",
        "Period",
        "Value",
        "Target",
        "Status",
        "Confidence",
    ]
    return download("explorer", _format(request), "Explorer", headers, rows)
