"""Data sources (scheduled pulls) and the CSV import of historic values."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import redirect, render

from metrics.forms import CsvImportForm, DataSourceForm
from metrics.ingestion import (
    BatchRejected,
    IngestionBusy,
    values_from_csv,
    values_ingest,
    values_validate,
)
from metrics.models import DataSource, Source
from metrics.sources import source_get, source_list, source_runs, source_save
from perfmgmt.models import Role
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from perfmgmt.validation import ensure_admin, ensure_allowed
from perfmgmt.views import form_submit


def _admin_only(request: TenantRequest) -> None:
    ensure_admin(request.membership, "manage data sources")


def _saved(request: TenantRequest, source: DataSource) -> HttpResponse:
    return redirect("metrics:source", org_slug=request.org.slug, source_id=source.pk)


@org_view
def sources(request: TenantRequest) -> HttpResponse:
    _admin_only(request)
    return form_submit(
        request,
        DataSourceForm(request.POST or None, request.FILES or None, org=request.org),
        lambda form: source_save(
            org=request.org, actor=request.membership, **form.service_fields()
        ),
        on_success=lambda source: _saved(request, source),
        page=lambda form, status: render(
            request,
            "metrics/source_list.html",
            {"sources": source_list(org=request.org), "form": form},
            status=status,
        ),
    )


@org_view
def source(request: TenantRequest, source_id: str) -> HttpResponse:
    source = source_get(org=request.org, source_id=source_id)  # 404 before 403, as elsewhere
    _admin_only(request)
    return form_submit(
        request,
        DataSourceForm(
            request.POST or None, request.FILES or None, org=request.org, instance=source
        ),
        lambda form: source_save(
            org=request.org, actor=request.membership, source=source, **form.service_fields()
        ),
        on_success=lambda saved: _saved(request, saved),
        page=lambda form, status: render(
            request,
            "metrics/source_detail.html",
            {
                "source": source,
                "form": form,
                "runs": source_runs(org=request.org, source=source),
            },
            status=status,
        ),
    )


@org_view
def csv_import(request: TenantRequest) -> HttpResponse:
    """Upload, preview with per-row errors, confirm: all or nothing."""
    ensure_allowed(request.membership.role != Role.VIEWER)
    form = CsvImportForm(request.POST or None, request.FILES or None)
    context: dict = {"form": form}
    if request.method == "POST" and form.is_valid():
        text = form.rows_text()
        rows, errors = values_from_csv(text)
        clean, errors = values_validate(
            org=request.org, rows=rows, actor=request.membership, errors=errors
        )
        context.update(rows=rows[:200], count=len(rows), errors=errors, text=text)
        if request.POST.get("confirm") and not errors and rows:
            try:
                result = values_ingest(
                    org=request.org, rows=rows, source=Source.IMPORT, actor=request.membership
                )
            except BatchRejected as rejected:
                context["errors"] = rejected.errors
            except IngestionBusy as busy:
                context["problems"] = [busy.message]
            else:
                context.update(done=result, rows=[], text="")
    return render(request, "metrics/value_import.html", context)
