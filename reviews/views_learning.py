"""The learning loop's page: a KPI's missed period targets, each with why and the next step."""

from __future__ import annotations

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse

from metrics.selectors import kpi_get
from perfmgmt.permissions import can_write_commentary
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from perfmgmt.views import form_submit
from reviews.forms_learning import MissReasonForm
from reviews.learning import (
    MEASUREMENT_FLAG,
    definition_review_due,
    miss_reason_record,
    miss_split,
    missed_periods,
)


@org_view
def kpi_misses(request: TenantRequest, kpi_id: str) -> HttpResponse:
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    form = MissReasonForm(request.POST or None)

    def page(form: MissReasonForm, status: int) -> HttpResponse:
        misses = missed_periods(org=request.org, kpis=[kpi])
        posted = form.data.get("period_start") if form.is_bound else None
        rows = []
        for miss in misses:
            if posted == miss.period_start.isoformat():
                rows.append((miss, form))
                posted = None  # shown beside its period, not again at the top
                continue
            initial: dict[str, object] = {"period_start": miss.period_start}
            if miss.reason is not None:
                initial |= {"cause": miss.reason.cause, "next_step": miss.reason.next_step}
            rows.append(
                (miss, MissReasonForm(initial=initial, auto_id=f"id_{miss.period_start}_%s"))
            )
        context = {
            "kpi": kpi,
            "rows": rows,
            "unmatched": form if posted is not None else None,
            "split": miss_split(misses),
            "flagged": definition_review_due(org=request.org, kpi_ids=[kpi.pk]).get(kpi.pk),
            "flag_at": MEASUREMENT_FLAG,
            "can_record": can_write_commentary(request.membership, kpi),
        }
        return render(request, "reviews/kpi_misses.html", context, status=status)

    def saved(_: object) -> HttpResponse:
        messages.success(request, f"Why {kpi.name} missed its target is recorded.")
        return redirect(
            reverse("reviews:kpi-misses", kwargs={"org_slug": request.org.slug, "kpi_id": kpi.pk})
        )

    return form_submit(
        request,
        form,
        lambda form: miss_reason_record(
            org=request.org, actor=request.membership, kpi=kpi, **form.cleaned_data
        ),
        on_success=saved,
        page=page,
    )
