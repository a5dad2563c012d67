"""Request types for annotations: what middleware and `@org_view` add to an `HttpRequest`.

Nothing here is instantiated. Django builds a plain `HttpRequest`; `HtmxMiddleware` sets
`request.htmx` on every request, `login_required` lets only a signed-in user through, and
`perfmgmt.tenancy.org_view` sets `org` and `membership` before it calls the view. These
classes tell the type checker so, instead of a `# type: ignore` at every use.
"""

from __future__ import annotations

from django.contrib.auth.models import User
from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from perfmgmt.models import Membership, Organization


class HtmxRequest(HttpRequest):
    """Any request that went through the middleware stack (django-htmx's documented pattern)."""

    htmx: HtmxDetails


class AuthenticatedRequest(HtmxRequest):
    """The request a `@login_required` view receives."""

    user: User


class TenantRequest(AuthenticatedRequest):
    """The request an `@org_view` view receives: signed in, a member, inside the org scope."""

    org: Organization
    membership: Membership
