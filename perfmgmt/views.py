from __future__ import annotations

import base64
import functools
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import redis
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.db import DatabaseError, connection
from django.forms import BaseForm
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from django_otp import login as otp_login
from redis.exceptions import RedisError

from perfmgmt.forms import (
    ApiKeyForm,
    OrganizationSettingsForm,
    TotpCodeForm,
    apply_service_errors,
)
from perfmgmt.http import safe_next
from perfmgmt.models import Organization
from perfmgmt.selectors import api_key_get, api_key_list, memberships_of
from perfmgmt.services import api_key_create, organization_settings_update
from perfmgmt.services import api_key_revoke as revoke_key
from perfmgmt.services import api_key_take_over as take_over
from perfmgmt.tenancy import org_view
from perfmgmt.twofactor import (
    qr_data_uri,
    totp_check,
    totp_device,
    totp_disable,
    totp_setup_confirm,
    totp_setup_start,
)
from perfmgmt.types import AuthenticatedRequest, TenantRequest
from perfmgmt.validation import ensure_admin

logger = logging.getLogger(__name__)

T = TypeVar("T")
F = TypeVar("F", bound=BaseForm)


@require_GET
def healthz(request: HttpRequest) -> HttpResponse:
    """Liveness for a load balancer: 503 only when the database is away.

    Without the broker pages and pushes still work (scheduled work waits), so that is
    "degraded", not down. No error text: the endpoint is public.
    """
    database = "ok" if _database_reachable() else "unreachable"
    broker = _broker_state()
    if database != "ok":
        status = "down"
    elif broker == "unreachable":
        status = "degraded"
    else:
        status = "ok"
    body = {"status": status, "database": database, "broker": broker}
    return JsonResponse(body, status=503 if database != "ok" else 200)


def _database_reachable() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("healthz: the database is unreachable (%s)", type(exc).__name__)
        return False
    return True


@functools.lru_cache(maxsize=1)
def _broker_client(url: str, timeout: float) -> redis.Redis:
    # One client (and connection pool) per process, not a new connection per probe.
    return redis.Redis.from_url(url, socket_timeout=timeout, socket_connect_timeout=timeout)


def _broker_state() -> str:
    if not settings.REDIS_URL:
        return "embedded"  # the filesystem broker of a local run: nothing to reach
    try:
        _broker_client(settings.REDIS_URL, settings.REDIS_SOCKET_TIMEOUT).ping()
    except RedisError as exc:
        logger.warning("healthz: the broker is unreachable (%s)", type(exc).__name__)
        return "unreachable"
    return "ok"


class LoginView(auth_views.LoginView):
    """Django's sign-in page, offering single sign-on when the deployment has it."""

    def get_context_data(self, **kwargs: Any) -> dict[str, Any]:
        context = super().get_context_data(**kwargs)
        context["oidc_enabled"] = settings.OIDC_ENABLED
        context["sso_failed"] = self.request.GET.get("sso") == "failed"
        return context


@login_required
def org_picker(request: AuthenticatedRequest) -> HttpResponse:
    memberships = memberships_of(request.user)
    if len(memberships) == 1:
        return redirect("reviews:dashboard", org_slug=memberships[0].organization.slug)
    return render(request, "perfmgmt/org_picker.html", {"memberships": memberships})


def form_submit(
    request: HttpRequest,
    form: F,
    save: Callable[[F], T],
    *,
    on_success: Callable[[T], HttpResponse],
    page: Callable[[F, int], HttpResponse],
) -> HttpResponse:
    """Form → service → errors, the one way a page writes.

    On a POST whose form is valid, `save(form)` calls the service; what it returns goes to
    `on_success` (a redirect, or a page showing the result). A service's ValidationError is
    shown on the form's fields. Otherwise `page(form, status)` renders the form: 200 for a GET,
    400 for a POST that failed, so a client (and htmx) can tell a rejection from a page.
    The rules live in the service; the view only wires the three together.
    """
    if request.method == "POST" and form.is_valid():
        try:
            result = save(form)
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return on_success(result)
    return page(form, 400 if request.method == "POST" else 200)


def service_form_page(
    request: HttpRequest,
    form: F,
    *,
    title: str,
    save: Callable[[F], object],
    success_url: str,
    history_url: str = "",
) -> HttpResponse:
    """A planning form on the shared form page: `form_submit`, then back to `success_url`;
    `history_url`: the object's History page, linked from the form."""
    return form_submit(
        request,
        form,
        save,
        on_success=lambda _: redirect(success_url),
        page=lambda form, status: render(
            request,
            "perfmgmt/form_page.html",
            {"form": form, "title": title, "history_url": history_url},
            status=status,
        ),
    )


# no-store: the page shows a new secret once; no browser or proxy cache may keep a copy.
@never_cache
@org_view
def api_keys(request: TenantRequest) -> HttpResponse:
    """List the organisation's keys and create one; a new secret is shown on this page once."""
    ensure_admin(request.membership, "manage API keys")

    def page(form: BaseForm, status: int = 200, secret: str | None = None) -> HttpResponse:
        context = {"keys": api_key_list(org=request.org), "form": form, "secret": secret}
        return render(request, "perfmgmt/apikey_list.html", context, status=status)

    return form_submit(
        request,
        ApiKeyForm(request.POST or None),
        lambda form: api_key_create(org=request.org, actor=request.membership, **form.cleaned_data),
        on_success=lambda created: page(ApiKeyForm(), secret=created[1]),
        page=page,
    )


@org_view
def api_key_revoke(request: TenantRequest, key_id: str) -> HttpResponse:
    """GET asks once, naming what will happen; POST revokes and says that it did."""
    ensure_admin(request.membership, "manage API keys")
    key = api_key_get(org=request.org, key_id=key_id)
    if request.method != "POST":
        return render(request, "perfmgmt/apikey_confirm.html", {"key": key, "action": "revoke"})
    revoke_key(org=request.org, actor=request.membership, key=key)
    messages.success(
        request, f"The key “{key.name}” (pm_{key.prefix}_…) is revoked: requests with it fail now."
    )
    return redirect("api-keys", org_slug=request.org.slug)


@org_view
def api_key_take_over(request: TenantRequest, key_id: str) -> HttpResponse:
    """GET asks once; POST makes the acting admin the key's owner (reviving a suspended key)."""
    ensure_admin(request.membership, "manage API keys")
    key = api_key_get(org=request.org, key_id=key_id)
    if request.method != "POST":
        return render(request, "perfmgmt/apikey_confirm.html", {"key": key, "action": "take-over"})
    try:
        take_over(org=request.org, actor=request.membership, key=key)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request, f"You own the key “{key.name}” now; it works as long as you are an admin here."
        )
    return redirect("api-keys", org_slug=request.org.slug)


@org_view
def org_settings(request: TenantRequest) -> HttpResponse:
    ensure_admin(request.membership, "change settings")
    # The form validates into request.org; the service gets a fresh copy to change.
    form = OrganizationSettingsForm(request.POST or None, instance=request.org)
    context = {"has_webhook": bool(request.org.slack_webhook_url)}
    return form_submit(
        request,
        form,
        lambda form: organization_settings_update(
            org=Organization.objects.get(pk=request.org.pk),
            actor=request.membership,
            **form.cleaned_data,
        ),
        on_success=lambda _: redirect("org-settings", org_slug=request.org.slug),
        page=lambda form, status: render(
            request,
            "perfmgmt/organization_settings.html",
            {**context, "form": form},
            status=status,
        ),
    )


@never_cache  # the set-up page shows the new secret
@login_required
def two_factor(request: AuthenticatedRequest) -> HttpResponse:
    """Turn two-factor sign-in on (a new secret, then a code from it) or off (a current code)."""
    action = request.POST.get("action", "")
    if action == "start":
        totp_setup_start(user=request.user)
    form = TotpCodeForm(request.POST if action in ("confirm", "disable") else None)
    if form.is_valid():
        try:
            if action == "confirm":
                otp_login(request, totp_setup_confirm(user=request.user, **form.cleaned_data))
                messages.success(request, "Two-factor sign-in is on: you will be asked for a code.")
            else:
                totp_disable(user=request.user, **form.cleaned_data)
                messages.success(request, "Two-factor sign-in is off.")
            return redirect("two-factor")
        except ValidationError as exc:
            apply_service_errors(form, exc)
    pending = totp_device(request.user, confirmed=False)
    context = {
        "form": form,
        "device": totp_device(request.user),
        "pending": pending,
        "qr": qr_data_uri(pending) if pending else None,
        "secret": base64.b32encode(pending.bin_key).decode() if pending else None,
    }
    return render(
        request, "registration/two_factor.html", context, status=400 if form.errors else 200
    )


@login_required
def two_factor_verify(request: AuthenticatedRequest) -> HttpResponse:
    """The second step of signing in: a current code from the person's app."""
    form = TotpCodeForm(request.POST or None)
    next_url = safe_next(request, reverse(settings.LOGIN_REDIRECT_URL))
    if form.is_valid():
        try:
            otp_login(request, totp_check(user=request.user, **form.cleaned_data))
        except ValidationError as exc:
            apply_service_errors(form, exc)
        else:
            return redirect(next_url)
    context = {"form": form, "next": next_url}
    status = 400 if form.errors else 200
    return render(request, "registration/two_factor_verify.html", context, status=status)
