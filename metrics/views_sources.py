"""Data sources (scheduled pulls) and the CSV import of historic values."""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
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
from metrics.sources import source_list, source_runs, source_save
from perfmgmt.forms import apply_service_errors
from perfmgmt.models import Role
from perfmgmt.selectors import get_or_404
from perfmgmt.tenancy import org_scope, org_view
from perfmgmt.validation import ensure_admin, ensure_allowed


def _admin_only(request: HttpRequest) -> None:
    ensure_admin(request.membership, "manage data sources")


@org_view
def sources(request: HttpRequest) -> HttpResponse:
    _admin_only(request)
    form = DataSourceForm(request.POST or None, request.FILES or None, org=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            source = source_save(org=request.org, actor=request.membership, **form.service_fields())
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("metrics:source", org_slug=request.org.slug, source_id=source.pk)
    context = {"sources": source_list(org=request.org), "form": form}
    return render(request, "metrics/source_list.html", context, status=400 if form.errors else 200)


@org_view
def source(request: HttpRequest, source_id: str) -> HttpResponse:
    with org_scope(request.org):
        source = get_or_404(DataSource.objects.all(), source_id, "data source")
    _admin_only(request)
    form = DataSourceForm(
        request.POST or None, request.FILES or None, org=request.org, instance=source
    )
    if request.method == "POST" and form.is_valid():
        try:
            source_save(
                org=request.org, actor=request.membership, source=source, **form.service_fields()
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("metrics:source", org_slug=request.org.slug, source_id=source.pk)
    context = {"source": source, "form": form, "runs": source_runs(org=request.org, source=source)}
    return render(
        request, "metrics/source_detail.html", context, status=400 if form.errors else 200
    )


@org_view
def csv_import(request: HttpRequest) -> HttpResponse:
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
