"""The audit trail on pages: an object's History tab and the organisation's audit log (admins),
with its saved views and CSV/XLSX download."""

from __future__ import annotations

import datetime as dt

from django.http import HttpResponse, QueryDict
from django.shortcuts import render
from django.views.decorators.http import require_GET

from metrics.selectors import kpi_get
from objectives.selectors import objective_get, priority_get
from perfmgmt.history import ACTIONS, Change
from perfmgmt.models import Membership
from perfmgmt.selectors import display_name
from perfmgmt.tenancy import org_scope, org_view
from perfmgmt.types import TenantRequest
from perfmgmt.validation import ensure_admin
from reviews.audit import VIEWS, AuditFilters, audit_entries, audit_kinds, history_page
from reviews.exports import download, spreadsheet_text


def _date(text: str | None) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text) if text else None
    except ValueError:
        return None


def _filters(query: QueryDict, kinds: set[str]) -> AuditFilters:
    user = query.get("who", "")
    return AuditFilters(
        view=query.get("view", "") if query.get("view", "") in VIEWS else "",
        kind=query.get("kind", "") if query.get("kind", "") in kinds else "",
        user_id=int(user) if user.isdigit() else None,
        start=_date(query.get("from")),
        end=_date(query.get("to")),
    )


def _changed(change: Change) -> str:
    if change.action != "update":
        return "; ".join(f"{f.label}: {f.new}" for f in change.fields)
    return "; ".join(f"{f.label}: {f.old} → {f.new}" for f in change.fields)


@org_view
@require_GET
def audit_log_page(request: TenantRequest) -> HttpResponse:
    ensure_admin(request.membership, "read the audit log")
    kinds = audit_kinds()
    filters = _filters(request.GET, {label for label, _ in kinds})
    entries = audit_entries(org=request.org, filters=filters)
    if request.GET.get("format") in ("csv", "xlsx"):
        rows = (
            [
                c.at.replace(tzinfo=None),
                spreadsheet_text(c.actor),
                c.kind,
                c.object_id,
                ACTIONS.get(c.action, c.action),
                spreadsheet_text(_changed(c)),
            ]
            for c in entries
        )
        headers = ["When (UTC)", "Who", "Kind", "Object", "Action", "What changed"]
        return download("audit-log", request.GET["format"], "Audit log", headers, rows)
    with org_scope(request.org):
        members = list(Membership.objects.select_related("user").order_by("user__username"))
    context = {
        "entries": entries,
        "filters": filters,
        "kinds": kinds,
        "views": VIEWS,
        "people": [(m.user_id, display_name(m.user)) for m in members],
        "query": request.GET.urlencode(),
    }
    return render(request, "reviews/audit_log.html", context)


def _history(request: TenantRequest, kind: str, obj: object) -> HttpResponse:
    changes = history_page(org=request.org, kind=kind, obj=obj)
    return render(
        request, "reviews/object_history.html", {"obj": obj, "kind": kind, "changes": changes}
    )


@org_view
@require_GET
def kpi_history(request: TenantRequest, kpi_id: str) -> HttpResponse:
    return _history(request, "kpi", kpi_get(org=request.org, kpi_id=kpi_id))


@org_view
@require_GET
def objective_history(request: TenantRequest, objective_id: str) -> HttpResponse:
    obj = objective_get(org=request.org, objective_id=objective_id)
    return _history(request, "objective", obj)


@org_view
@require_GET
def priority_history(request: TenantRequest, priority_id: str) -> HttpResponse:
    obj = priority_get(org=request.org, priority_id=priority_id)
    return _history(request, "priority", obj)
