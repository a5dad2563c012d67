"""Tenant scoping, enforced in one place and failing closed.

Tenant models use django-scopes' ScopedManager: a query outside an active organisation scope
raises. Pages enter the scope from the `/o/<org_slug>/` URL after checking the membership; tasks
enter it from an `org_id` argument. Nothing is remembered in the session.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import wraps
from typing import Concatenate, ParamSpec, TypeVar, cast

from django.contrib import messages
from django.contrib.auth.models import AnonymousUser, User
from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.http.response import HttpResponseBase
from django_scopes import scope, scopes_disabled

from perfmgmt.models import Membership, Organization
from perfmgmt.twofactor import must_set_up
from perfmgmt.types import TenantRequest

P = ParamSpec("P")
# What a view answers: a page, a redirect, or a file streamed to the browser.
R = TypeVar("R", bound=HttpResponseBase)


@contextmanager
def org_scope(org: Organization | None) -> Iterator[None]:
    # django-scopes treats organization=None as "no filter"; never let that through (the type
    # admits None because this is the check that catches it).
    if org is None or org.pk is None:
        raise ValueError("org_scope needs a saved organisation")
    with scope(organization=org):
        yield


def membership_for(*, org: Organization, user: User | AnonymousUser) -> Membership | None:
    if isinstance(user, AnonymousUser):
        return None
    with org_scope(org):
        return Membership.objects.select_related("team", "user").filter(user=user).first()


def org_view(
    view: Callable[Concatenate[TenantRequest, P], R],
) -> Callable[Concatenate[HttpRequest, str, P], R | HttpResponseRedirect]:
    """Resolve `org_slug`, require a membership, and run the view inside the org scope.

    A missing organisation and one the user does not belong to give the same 404.
    The view receives a `TenantRequest`: `request.org` and `request.membership` are set.
    """

    @wraps(view)
    def wrapper(
        request: HttpRequest, org_slug: str, *args: P.args, **kwargs: P.kwargs
    ) -> R | HttpResponseRedirect:
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        org = Organization.objects.filter(slug=org_slug).first()
        membership = membership_for(org=org, user=request.user) if org else None
        if org is None or membership is None:
            raise Http404("No such organisation.")
        if must_set_up(org=org, membership=membership):
            messages.info(
                request,
                f"{org.name} requires its admins to sign in with two factors. "
                "Set up your authenticator app to continue.",
            )
            return redirect_to_login(request.get_full_path(), login_url="/accounts/two-factor/")
        tenant_request = cast(TenantRequest, request)
        tenant_request.org = org
        tenant_request.membership = membership
        with org_scope(org):
            return view(tenant_request, *args, **kwargs)

    return wrapper


class AdminScopesDisabledMiddleware:
    """The Django admin is for the site operator (superusers) and spans organisations."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/admin/"):
            with scopes_disabled():
                return self.get_response(request)
        return self.get_response(request)
