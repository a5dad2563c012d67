"""The pack page (generate, watch the progress, download, present) and the owners' commentary."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import FileResponse, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET

from metrics.selectors import kpi_get
from perfmgmt.periods import last_closed_month, org_today
from perfmgmt.permissions import can_see_packs, can_write_commentary
from perfmgmt.tenancy import org_view
from perfmgmt.types import TenantRequest
from perfmgmt.validation import ensure_allowed
from perfmgmt.views import form_submit
from reviews.forms import CommentaryForm, PackForm, PresentForm
from reviews.models import Pack
from reviews.packs.data import commentary_due_date, commentary_due_kpis, review_day
from reviews.packs.selectors import month_choices, pack_get, pack_list
from reviews.packs.services import pack_file_response, pack_present, pack_request, pack_retry
from reviews.reminders import commentary_chase
from reviews.selectors import kpi_commentaries
from reviews.services import commentary_save

PACK_ROLE_MESSAGE = "Packs are for finance, executives and admins."


def _month_param(request: TenantRequest, default: dt.date) -> dt.date:
    try:
        month = dt.date.fromisoformat(request.GET.get("month", "") + "-01")
    except ValueError:
        return default
    return month if dt.date(2000, 1, 1) <= month <= org_today(request.org) else default


def _pack_form(request: TenantRequest) -> PackForm:
    return PackForm(
        request.POST or None,
        org=request.org,
        months=month_choices(request.org),
        initial={"month": last_closed_month(request.org).isoformat()},
    )


def _packs_page(
    request: TenantRequest, form: PackForm, status: int = 200, chosen: str | None = None
) -> HttpResponse:
    month = last_closed_month(request.org)
    chosen = chosen or request.GET.get("pack")
    packs = pack_list(org=request.org)
    current = next((p for p in packs if str(p.pk) == chosen), None)
    context = {
        "form": form,
        "packs": packs,
        "current": current,
        "month": month,
        "missing": [
            (found, written)
            for found, written in commentary_due_kpis(org=request.org, month=month)
            if written is None
        ],
        "due": commentary_due_date(month),
        "review_day": review_day(month),
        "present_form": PresentForm(org=request.org),
    }
    return render(request, "reviews/pack_page.html", context, status=status)


@org_view
def packs(request: TenantRequest) -> HttpResponse:
    ensure_allowed(can_see_packs(request.membership), PACK_ROLE_MESSAGE)
    form = _pack_form(request)

    def started(result: tuple[Pack, bool]) -> HttpResponse:
        pack, new = result
        if not new:
            messages.info(request, "This pack is being generated already: here is its progress.")
        url = reverse("reviews:packs", kwargs={"org_slug": request.org.slug})
        return redirect(f"{url}?pack={pack.pk}#pack-{pack.pk}")

    return form_submit(
        request,
        form,
        lambda form: pack_request(org=request.org, actor=request.membership, **form.cleaned_data),
        on_success=started,
        page=lambda form, status: _packs_page(request, form, status),
    )


@org_view
@require_GET
def pack_status(request: TenantRequest, pack_id: str) -> HttpResponse:
    """One pack's progress: the fragment the page polls while it runs, or (a plain visit) the
    pack page with this pack marked."""
    ensure_allowed(can_see_packs(request.membership), PACK_ROLE_MESSAGE)
    pack = pack_get(org=request.org, pack_id=pack_id)
    if not request.htmx:
        response = _packs_page(request, _pack_form(request), chosen=str(pack.pk))
        patch_vary_headers(response, ["HX-Request"])
        return response
    context = {"pack": pack, "present_form": PresentForm(org=request.org)}
    response = render(request, "reviews/pack_page.html#pack-progress", context)
    patch_vary_headers(response, ["HX-Request"])
    return response


def _download(request: TenantRequest, pack_id: str, ext: str) -> FileResponse:
    ensure_allowed(can_see_packs(request.membership), PACK_ROLE_MESSAGE)
    return pack_file_response(pack_get(org=request.org, pack_id=pack_id), ext)


@org_view
@require_GET
def pack_pdf(request: TenantRequest, pack_id: str) -> FileResponse:
    return _download(request, pack_id, "pdf")


@org_view
@require_GET
def pack_xlsx(request: TenantRequest, pack_id: str) -> FileResponse:
    return _download(request, pack_id, "xlsx")


def _pack_action(request: TenantRequest, pack_id: str, act: Callable[[Pack], str]) -> HttpResponse:
    """POST only: run `act` on the pack and come back to it with what happened, in words."""
    pack = pack_get(org=request.org, pack_id=pack_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        messages.success(request, act(pack))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    url = reverse("reviews:packs", kwargs={"org_slug": request.org.slug})
    return redirect(f"{url}?pack={pack.pk}#pack-{pack.pk}")


@org_view
def pack_present_view(request: TenantRequest, pack_id: str) -> HttpResponse:
    def present(pack: Pack) -> str:
        form = PresentForm(request.POST, org=request.org)
        meeting = form.cleaned_data["meeting"] if form.is_valid() else None
        pack_present(org=request.org, actor=request.membership, pack=pack, meeting=meeting)
        return f"Version {pack.version} is marked as presented; its files are now frozen."

    return _pack_action(request, pack_id, present)


@org_view
def pack_retry_view(request: TenantRequest, pack_id: str) -> HttpResponse:
    def retry(pack: Pack) -> str:
        pack_retry(org=request.org, actor=request.membership, pack=pack)
        return f"Version {pack.version} is being generated again."

    return _pack_action(request, pack_id, retry)


@org_view
def commentary_chase_view(request: TenantRequest) -> HttpResponse:
    """Remind the owners whose commentary on last month is still missing, and say how many."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    reminded = commentary_chase(
        org=request.org, actor=request.membership, month=last_closed_month(request.org)
    )
    if reminded:
        messages.success(request, f"Reminded {reminded} owner{'s' if reminded != 1 else ''}.")
    else:
        messages.info(request, "Nobody was reminded: the owners were reminded today already.")
    return redirect("reviews:packs", org_slug=request.org.slug)


def _commentary_cards(request: TenantRequest, month: dt.date) -> list[dict]:
    return [
        {
            "found": found,
            "written": written,
            "form": CommentaryForm(
                initial={"analysis": written.analysis, "next_step": written.next_step}
                if written
                else None,
                prefix=str(found.kpi.pk),
            ),
        }
        for found, written in commentary_due_kpis(org=request.org, month=month, user=request.user)
    ]


@org_view
@require_GET
def commentary(request: TenantRequest) -> HttpResponse:
    """The KPIs whose numbers the signed-in owner explains for a month, each with its form."""
    month = _month_param(request, last_closed_month(request.org))
    context = {
        "month": month,
        "due": commentary_due_date(month),
        "cards": _commentary_cards(request, month),
    }
    return render(request, "reviews/commentary_page.html", context)


@org_view
def commentary_submit(request: TenantRequest, kpi_id: str) -> HttpResponse:
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    ensure_allowed(
        can_write_commentary(request.membership, kpi), "Only the KPI's outcome owner writes this."
    )
    month = _month_param(request, last_closed_month(request.org))
    form = CommentaryForm(request.POST, prefix=str(kpi.pk))

    def page(form: CommentaryForm, status: int) -> HttpResponse:
        cards = [c for c in _commentary_cards(request, month) if c["found"].kpi.pk == kpi.pk]
        card = cards[0] if cards else None
        if card is not None:
            card["form"] = form
            card["saved"] = status == 200
        context = {"month": month, "card": card, "cards": [card] if card else []}
        if request.htmx and card is not None:
            return render(request, "reviews/commentary_page.html#commentary-card", context)
        context["due"] = commentary_due_date(month)
        return render(request, "reviews/commentary_page.html", context, status=status)

    def saved(_: object) -> HttpResponse:
        if request.htmx:
            return page(CommentaryForm(request.POST, prefix=str(kpi.pk)), 200)
        messages.success(request, f"Commentary on {kpi.name} saved.")
        url = reverse("reviews:commentary", kwargs={"org_slug": request.org.slug})
        return redirect(f"{url}?month={month:%Y-%m}")

    return form_submit(
        request,
        form,
        lambda form: commentary_save(
            org=request.org, actor=request.membership, kpi=kpi, month=month, **form.cleaned_data
        ),
        on_success=saved,
        page=page,
    )


@org_view
@require_GET
def kpi_commentary(request: TenantRequest, kpi_id: str) -> HttpResponse:
    """A KPI's commentary, month by month with its earlier wording (the KPI page loads it)."""
    kpi = kpi_get(org=request.org, kpi_id=kpi_id)
    context = {"kpi": kpi, "commentaries": kpi_commentaries(org=request.org, kpi=kpi)}
    template = "reviews/kpi_commentary.html"
    if request.htmx:
        template += "#commentary-history"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response
