from __future__ import annotations

from collections.abc import Callable

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import connection
from django.forms import Form
from django.http import HttpRequest, HttpResponse, HttpResponseNotAllowed, JsonResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET

from perfmgmt.forms import ApiKeyForm, OrganizationSettingsForm, apply_service_errors
from perfmgmt.models import Organization, Role
from perfmgmt.selectors import api_key_get, api_key_list, memberships_of
from perfmgmt.services import api_key_create, organization_settings_update
from perfmgmt.services import api_key_revoke as revoke_key
from perfmgmt.tenancy import org_view
from perfmgmt.validation import ensure_allowed


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except Exception as exc:  # any failure to reach the database is "unhealthy"
        return JsonResponse({"status": "error", "database": str(exc)}, status=503)
    return JsonResponse({"status": "ok", "database": "ok"})


@login_required
def org_picker(request: HttpRequest) -> HttpResponse:
    memberships = memberships_of(request.user)
    if len(memberships) == 1:
        return redirect("metrics:dashboard", org_slug=memberships[0].organization.slug)
    return render(request, "perfmgmt/org_picker.html", {"memberships": memberships})


def service_form_page(
    request: HttpRequest,
    form: Form,
    *,
    title: str,
    save: Callable[[Form], object],
    success_url: str,
) -> HttpResponse:
    """Validate a form, hand its data to a service, show the service's errors on the form.

    Every planning form works this way, so the rule lives in the service and nowhere else.
    """
    if request.method == "POST" and form.is_valid():
        try:
            save(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect(success_url)
    status = 400 if request.method == "POST" else 200
    return render(request, "perfmgmt/form_page.html", {"form": form, "title": title}, status=status)


@org_view
def api_keys(request: HttpRequest) -> HttpResponse:
    """List the organisation's keys and create one; a new secret is shown on this page once."""
    ensure_allowed(request.membership.role == Role.ADMIN, "Only admins manage API keys.")
    form = ApiKeyForm(request.POST or None)
    secret = None
    if request.method == "POST" and form.is_valid():
        try:
            _, secret = api_key_create(
                org=request.org, actor=request.membership, **form.cleaned_data
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            form = ApiKeyForm()
    context = {"keys": api_key_list(org=request.org), "form": form, "secret": secret}
    return render(request, "perfmgmt/apikey_list.html", context)


@org_view
def api_key_revoke(request: HttpRequest, key_id: str) -> HttpResponse:
    key = api_key_get(org=request.org, key_id=key_id)  # before the method check: 404 first
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    revoke_key(org=request.org, actor=request.membership, key=key)
    return redirect("api-keys", org_slug=request.org.slug)


@org_view
def org_settings(request: HttpRequest) -> HttpResponse:
    ensure_allowed(request.membership.role == Role.ADMIN, "Only admins change settings.")
    form = OrganizationSettingsForm(request.POST or None, instance=request.org)
    if request.method == "POST" and form.is_valid():
        try:
            organization_settings_update(
                org=Organization.objects.get(pk=request.org.pk),
                actor=request.membership,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect("org-settings", org_slug=request.org.slug)
    context = {"form": form, "has_webhook": bool(request.org.slack_webhook_url)}
    return render(request, "perfmgmt/organization_settings.html", context)
