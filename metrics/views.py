"""KPI pages: detail, definition, targets and recording a value."""

from __future__ import annotations

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers

from metrics import services
from metrics.forecasting.selectors import kpi_foresight
from metrics.formats import fmt_value
from metrics.forms import KpiForm, TargetForm, ValueForm
from metrics.ingestion import BatchRejected, IngestionBusy, metric_value_record
from metrics.models import Kpi, MetricValue
from metrics.selectors import kpi_detail as kpi_detail_get
from metrics.selectors import kpi_get, kpi_pinned, kpi_values, last_complete_period, recent_values
from perfmgmt.periods import org_today
from perfmgmt.permissions import can_edit_kpi, can_plan, can_record_value, can_set_target
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from perfmgmt.validation import ensure_allowed
from perfmgmt.views import form_submit, service_form_page


def _kpi_url(request: TenantRequest, kpi: Kpi) -> str:
    return reverse("metrics:kpi-detail", kwargs={"org_slug": request.org.slug, "kpi_id": kpi.pk})


VALUES_PER_PAGE = 20
HISTORY = 12  # values the record form judges a new one against


@org_view
def kpi_detail(request: TenantRequest, kpi_id: str) -> HttpResponse:
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    page = Paginator(kpi_values(org=request.org, kpi=kpi), VALUES_PER_PAGE).get_page(
        request.GET.get("page")
    )
    if request.htmx and request.htmx.target == "values-table":
        response = render(
            request, "metrics/kpi_detail.html#values-table", {"kpi": kpi, "page": page}
        )
        patch_vary_headers(response, ["HX-Request"])
        return response
    membership = request.membership
    context = {
        "kpi": kpi,
        "page": page,
        "detail": kpi_detail_get(org=request.org, kpi=kpi),
        "can_edit": can_edit_kpi(membership, kpi),
        "can_set_target": can_set_target(membership, kpi),
        "can_record": can_record_value(membership, kpi),
        "pinned": kpi_pinned(org=request.org, user=request.user, kpi=kpi),
        "foresight": kpi_foresight(org=request.org, kpi=kpi),
    }
    response = render(request, "metrics/kpi_detail.html", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@org_view
def kpi_create(request: TenantRequest) -> HttpResponse:
    membership = request.membership
    ensure_allowed(can_plan(membership))
    form = KpiForm(request.POST or None, org=request.org, instance=Kpi(organization=request.org))
    return service_form_page(
        request,
        form,
        title="New KPI",
        save=lambda f: services.kpi_create(
            org=request.org, actor=membership, drives=f.cleaned_data["drives"], **f.service_fields()
        ),
        success_url=reverse("cascade:cascade", kwargs={"org_slug": request.org.slug}),
    )


@org_view
def kpi_edit(request: TenantRequest, kpi_id: str) -> HttpResponse:
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    ensure_allowed(can_edit_kpi(request.membership, kpi))
    form = KpiForm(request.POST or None, org=request.org, instance=kpi)
    return service_form_page(
        request,
        form,
        title=f"Edit KPI: {kpi.name}",
        save=lambda f: services.kpi_update(
            org=request.org,
            actor=request.membership,
            kpi=kpi,
            drives=f.cleaned_data["drives"],
            **f.service_fields(),
        ),
        success_url=_kpi_url(request, kpi),
    )


@org_view
def target_set(request: TenantRequest, kpi_id: str) -> HttpResponse:
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    ensure_allowed(can_set_target(request.membership, kpi))
    form = TargetForm(request.POST or None, org=request.org, unit=kpi.unit)

    def save(f: TargetForm) -> object:
        data = dict(f.cleaned_data)
        period = data.pop("period")
        return services.target_set(
            org=request.org,
            actor=request.membership,
            kpi=kpi,
            period_start=period.start,
            period_end=period.end,
            **data,
        )

    return service_form_page(
        request, form, title=f"Target for {kpi.name}", save=save, success_url=_kpi_url(request, kpi)
    )


@org_view
def value_record(request: TenantRequest, kpi_id: str) -> HttpResponse:
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    ensure_allowed(can_record_value(request.membership, kpi))
    history = recent_values(org=request.org, kpi_ids=[kpi.pk], per_kpi=HISTORY)[kpi.pk]
    form = ValueForm(
        request.POST or None,
        kpi=kpi,
        history=history,
        default_period=last_complete_period(kpi.cadence, org_today(request.org)),
    )

    def save(f: ValueForm) -> MetricValue:
        try:
            return metric_value_record(
                org=request.org, actor=request.membership, kpi=kpi, **f.value_data()
            )
        except (BatchRejected, IngestionBusy) as exc:
            raise exc.as_validation_error() from exc

    def saved(value: MetricValue) -> HttpResponse:
        messages.success(
            request,
            f"Recorded {fmt_value(value.value, kpi.unit, 4)} for the "
            f"{kpi.get_cadence_display().lower()} period starting "
            f"{value.period_date.day} {value.period_date:%b %Y}.",
        )
        return redirect(_kpi_url(request, kpi))

    return form_submit(
        request,
        form,
        save,
        on_success=saved,
        page=lambda form, status: render(
            request,
            "perfmgmt/form_page.html",
            {"form": form, "title": f"Record a value: {kpi.name}", "submit": "Record value"},
            status=status,
        ),
    )
