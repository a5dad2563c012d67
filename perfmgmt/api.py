"""The API's shared machinery: key authentication, organisation access, throttling, parsing,
pagination and error format. Endpoints live in each app's api.py and call the same services as
the HTML views."""

from __future__ import annotations

import datetime as dt
import hashlib
import math
from collections.abc import Callable
from contextlib import ExitStack
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import Http404
from django.utils import timezone
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import (
    SessionAuthentication,
)
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from perfmgmt.api_auth import ApiKeyAuthentication
from perfmgmt.models import ApiKey, ApiKeyScope, IdempotencyRecord, Membership, Organization
from perfmgmt.tenancy import membership_for, org_scope

KEY_QUERY_PARAMETERS = {"api_key", "apikey", "key", "token", "access_token", "auth"}


def refuse_key_in_query(request: Request) -> None:
    """A key in a URL ends up in logs and browser history; refuse it outright."""
    names = {name.lower() for name in request.query_params}
    values = request.query_params.values()
    if names & KEY_QUERY_PARAMETERS or any(str(v).startswith("pm_") for v in values):
        raise exceptions.ParseError(
            "API keys are accepted only in the Authorization header, never in the URL."
        )


class OrgAccess(BasePermission):
    """The organisation comes from the URL; a key works only for its own, a person only for
    one they belong to. Anything else is a 404, like a missing organisation."""

    message = "This API key is read-only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user and request.user.is_authenticated):
            return False
        org = Organization.objects.filter(slug=view.kwargs.get("org_slug")).first()
        key = request.auth if isinstance(request.auth, ApiKey) else None
        if org is None or (key is not None and key.organization_id != org.pk):
            raise Http404("No such organisation.")
        owner = key.created_by if key is not None else request.user
        membership = membership_for(org=org, user=owner)
        if key is None and membership is None:
            raise Http404("No such organisation.")
        view.org, view.api_key, view.membership = org, key, membership
        view.scope_stack.enter_context(org_scope(org))
        if request.method in SAFE_METHODS:
            return True
        return key is None or key.scope == ApiKeyScope.READ_WRITE


class PrincipalRateThrottle(SimpleRateThrottle):
    """One budget per API key (or per signed-in person), shared by every web worker."""

    scope = "api"

    def get_rate(self) -> str:
        # Read at request time so the rate is configurable (API_THROTTLE_RATE) and testable.
        return settings.API_THROTTLE_RATE

    def get_cache_key(self, request: Request, view: APIView) -> str | None:
        if isinstance(request.auth, ApiKey):
            ident = f"key:{request.auth.pk}"
        elif request.user and request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FiniteFloatField(serializers.FloatField):
    default_error_messages = {"finite": "Must be a finite number (not NaN or infinity)."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool | str):
            self.fail("invalid")
        value = super().to_internal_value(data)
        if not math.isfinite(value):
            self.fail("finite")
        return value


class IdCursorPagination(CursorPagination):
    page_size = 100
    max_page_size = 1000
    page_size_query_param = "limit"
    ordering = "-created_at"


def exception_handler(exc: Exception, context: dict) -> Response | None:
    """Service errors become JSON that names the field."""
    if isinstance(exc, DjangoValidationError):
        if hasattr(exc, "error_dict"):
            detail = exc.message_dict
        else:
            detail = {"non_field_errors": exc.messages}
        return Response(detail, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, DjangoPermissionDenied):
        message = str(exc) or "You may not do this."
        return Response({"detail": message}, status=status.HTTP_403_FORBIDDEN)
    return drf_exception_handler(exc, context)


class OrgAPIView(APIView):
    """Base of every org-scoped endpoint: `self.org`, `self.membership`, `self.api_key` are
    set and the organisation scope is active for the whole request, rendering included."""

    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [OrgAccess]
    throttle_classes = [PrincipalRateThrottle]
    org: Organization
    membership: Membership | None
    api_key: ApiKey | None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> Response:
        with ExitStack() as stack:
            self.scope_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        refuse_key_in_query(request)
        super().initial(request, *args, **kwargs)

    def actor(self) -> Membership:
        """The person a write acts for: the signed-in member, or the key's creator."""
        if self.membership is None:
            raise DjangoPermissionDenied("The creator of this API key is no longer a member.")
        return self.membership


def _principal(request: Request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    return f"user:{request.user.pk}"


def idempotent(handler: Callable[..., Response]) -> Callable[..., Response]:
    """Honour an `Idempotency-Key` header on a POST (IETF httpapi idempotency-key draft).

    The first request with a key is recorded before it runs; a retry with the same key and body
    gets the first response again, the same key with another body is 422, and a retry while the
    first is still running is 409. Server errors are not remembered, so they can be retried.
    """

    @wraps(handler)
    def wrapper(view: OrgAPIView, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = request.headers.get("Idempotency-Key")
        if key is None:
            return handler(view, request, *args, **kwargs)
        if not 0 < len(key) <= 255:
            raise exceptions.ValidationError({"Idempotency-Key": "Must be 1 to 255 characters."})
        body = request._request.body  # read before the parser, to fingerprint what was sent
        fingerprint = hashlib.sha256(
            b"\n".join([request.method.encode(), request.path.encode(), body])
        ).hexdigest()
        principal = _principal(request)
        expired = timezone.now() - dt.timedelta(hours=settings.IDEMPOTENCY_KEY_HOURS)
        IdempotencyRecord.objects.filter(created_at__lt=expired).delete()
        try:
            with transaction.atomic():
                record = IdempotencyRecord.objects.create(
                    organization=view.org, principal=principal, key=key, fingerprint=fingerprint
                )
        except IntegrityError:
            first = IdempotencyRecord.objects.get(principal=principal, key=key)
            if first.fingerprint != fingerprint:
                return Response(
                    {"Idempotency-Key": "This key was already used for a different request."},
                    status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                )
            if first.response_status is None:
                return Response(
                    {"Idempotency-Key": "The first request with this key is still in progress."},
                    status=status.HTTP_409_CONFLICT,
                )
            return Response(
                first.response_body,
                status=first.response_status,
                headers={"Idempotent-Replayed": "true"},
            )
        try:
            response = handler(view, request, *args, **kwargs)
        except Exception as exc:
            response = view.handle_exception(exc)
        if response.status_code >= 500:
            record.delete()
        else:
            record.response_status = response.status_code
            record.response_body = response.data
            record.save(update_fields=["response_status", "response_body"])
        return response

    return wrapper


class ApiKeyScheme(OpenApiAuthenticationExtension):
    target_class = "perfmgmt.api_auth.ApiKeyAuthentication"
    name = "apiKey"

    def get_security_definition(self, auto_schema: Any) -> dict:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An organisation API key: `Authorization: Bearer pm_…`.",
        }
