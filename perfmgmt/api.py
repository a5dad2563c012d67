"""The API's shared machinery: key authentication, organisation access, throttling, parsing,
pagination and error format. Endpoints live in each app's api.py and call the same services as
the HTML views."""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
import json
import math
import re
from collections.abc import Callable
from contextlib import ExitStack
from functools import wraps
from typing import Any, ClassVar, Literal, cast

import django_filters
from django import forms
from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, models, transaction
from django.http import Http404, HttpResponseBase, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ResolvedComponent
from drf_spectacular.utils import OpenApiParameter, extend_schema_field
from rest_framework import exceptions, serializers, status
from rest_framework.authentication import (
    SessionAuthentication,
)
from rest_framework.pagination import CursorPagination
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import SimpleRateThrottle
from rest_framework.views import APIView
from rest_framework.views import exception_handler as drf_exception_handler

from perfmgmt.api_auth import ApiKeyAuthentication
from perfmgmt.models import (
    ApiKey,
    ApiKeyScope,
    IdempotencyRecord,
    Membership,
    Organization,
    TenantModel,
)
from perfmgmt.selectors import org_members
from perfmgmt.tenancy import membership_for, org_scope
from perfmgmt.validation import EARLIEST_DATE, LATEST_DATE, ensure_date_in_window

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
    """May this caller use this organisation's API this way? `OrgAPIView` has already resolved
    the organisation, the key and the membership (a 404 for one the caller may not see):
    reads need a caller, writes a person or a read-write key."""

    message = "This API key is read-only."

    def has_permission(self, request: Request, view: APIView) -> bool:
        if not (request.user.is_authenticated):
            return False
        if request.method in SAFE_METHODS:
            return True
        key = getattr(view, "api_key", None)
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
        elif request.user.is_authenticated:
            ident = f"user:{request.user.pk}"
        else:
            ident = self.get_ident(request)
        return self.cache_format % {"scope": self.scope, "ident": ident}


class FiniteFloatField(serializers.FloatField):
    default_error_messages = {"finite": "Must be a finite number (not NaN or infinity)."}

    def to_internal_value(self, data: Any) -> float:
        if isinstance(data, bool | str):
            self.fail("invalid")
        try:
            value = super().to_internal_value(data)
        except OverflowError:  # a JSON integer with hundreds of digits: no float can hold it
            self.fail("finite")
        if not math.isfinite(value):
            self.fail("finite")
        return value


# A calendar date inside the input window (EARLIEST_DATE..LATEST_DATE), as a pattern: the schema
# then tells a client (and a fuzzer) exactly which strings a date field accepts, February 29th
# of leap years included (1900 and 2100 are not, 2000 is), where `format: date` alone allows
# 0001-01-01 and 9999-12-31.
_LEAP_YEARS = (
    "19(?:0[48]|[2468][048]|[13579][26])"
    "|20(?:[02468][048]|[13579][26])"
    "|21(?:0[48]|[2468][048]|[13579][26])"
)
DATE_IN_WINDOW_PATTERN = (
    "^(?:(?:19|2[01])[0-9]{2}-(?:(?:0[1-9]|1[0-2])-(?:0[1-9]|1[0-9]|2[0-8])"
    "|(?:0[13-9]|1[0-2])-(?:29|30)|(?:0[13578]|1[02])-31)"
    f"|(?:{_LEAP_YEARS})-02-29)$"
)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@extend_schema_field(
    {
        "type": "string",
        "format": "date",
        "pattern": DATE_IN_WINDOW_PATTERN,
        "description": f"YYYY-MM-DD, between {EARLIEST_DATE} and {LATEST_DATE}.",
    }
)
class WindowDateField(serializers.DateField):
    """A date as YYYY-MM-DD inside the input window, so nothing is stored that Python cannot
    read back (year 1 or 9999, stored by PostgreSQL, is a 500 on the next read)."""

    default_error_messages = {
        "invalid": f"Use a date YYYY-MM-DD between {EARLIEST_DATE} and {LATEST_DATE}."
    }

    def to_internal_value(self, value: Any) -> dt.date:
        # DRF (and date.fromisoformat) also take 2026-1-5 and 20260105; the schema says
        # YYYY-MM-DD, so that is all that is accepted.
        if not isinstance(value, str) or not _ISO_DAY.fullmatch(value):
            self.fail("invalid")
        try:
            day = dt.date.fromisoformat(value)
            ensure_date_in_window(day)
        except ValueError:
            self.fail("invalid")
        return day


class CreatedCursorPagination(CursorPagination):
    """Pages newest first by `created_at`, the id breaking ties (two rows written in the same
    microsecond, a bulk insert's); `cursor` is opaque, `limit` capped at `max_page_size`.

    A `limit` that is not a positive integer is a 400 naming it, where DRF would quietly fall
    back to the default page size; a larger one than the maximum is capped (documented so)."""

    page_size = 100
    max_page_size = 1000
    page_size_query_param = "limit"
    ordering = ("-created_at", "-id")
    invalid_cursor_message = "Invalid cursor: use the `next` or `previous` link of a page."

    def get_page_size(self, request: Request) -> int:
        raw = request.query_params.get(self.page_size_query_param)
        if raw is None:
            return self.page_size
        if not raw.isascii() or not raw.isdigit() or int(raw) < 1:
            raise exceptions.ValidationError(
                {self.page_size_query_param: ["Must be a positive whole number."]}
            )
        return min(int(raw), self.max_page_size)

    def get_schema_operation_parameters(self, view: APIView) -> list[dict]:
        parameters = super().get_schema_operation_parameters(view)
        for parameter in parameters:
            if parameter["name"] == self.cursor_query_param:
                parameter["description"] = "Opaque: from the `next` or `previous` link of a page."
            if parameter["name"] == self.page_size_query_param:
                parameter["schema"] = {"type": "integer", "minimum": 1}
                parameter["description"] = (
                    f"Results per page: {self.page_size} unless given, at most "
                    f"{self.max_page_size} (a larger number is capped)."
                )
        return parameters


class MemberField(serializers.SlugRelatedField):
    """A person, by username, among the organisation's members (`org_members`)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(slug_field="username", queryset=get_user_model().objects.all(), **kwargs)

    def get_queryset(self) -> models.QuerySet:
        return org_members(self.context["org"])


class ScopedPkField(serializers.PrimaryKeyRelatedField):
    """A tenant object by id; the organisation scope makes a foreign id 'does not exist'."""

    def __init__(self, model: type[TenantModel], **kwargs: Any) -> None:
        self.model = model
        super().__init__(queryset=model.objects.with_scopes_disabled().none(), **kwargs)

    def get_queryset(self) -> models.QuerySet[Any]:
        with org_scope(self.context["org"]):
            return self.model.objects.all()


class ScopedSlugField(serializers.SlugRelatedField):
    """A tenant object by its org-scoped slug."""

    def __init__(self, model: type[TenantModel], **kwargs: Any) -> None:
        self.model = model
        queryset = model.objects.with_scopes_disabled().none()
        super().__init__(slug_field="slug", queryset=queryset, **kwargs)

    def get_queryset(self) -> models.QuerySet[Any]:
        with org_scope(self.context["org"]):
            return self.model.objects.all()


class StrictBooleanField(forms.NullBooleanField):
    """`true`/`false` (or 1/0) only. django-filter's boolean widgets read anything else as
    'no filter', so `is_key=banana` listed every KPI; here it is a 400 naming the parameter."""

    widget = forms.TextInput  # hand the raw text to to_python, not a select's guess
    default_error_messages = {"invalid": "Use true or false."}

    # The stubs give NullBooleanField BooleanField's `bool`; Django's own returns None too.
    def to_python(self, value: Any) -> bool | None:  # type: ignore[override]
        if value is None:
            return None
        text = str(value).lower()
        if text in {"true", "1"}:
            return True
        if text in {"false", "0"}:
            return False
        raise forms.ValidationError(self.error_messages["invalid"], code="invalid")

    def validate(self, value: bool | None) -> None:
        pass  # absent is "no filter"; anything present was checked by to_python


class StrictBooleanFilter(django_filters.BooleanFilter):
    field_class = StrictBooleanField


class IsoDateFilter(django_filters.DateFilter):
    """YYYY-MM-DD only, as the schema's `format: date` says (Django's DateField also takes
    10/25/2006 and friends)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("input_formats", ["%Y-%m-%d"])
        super().__init__(*args, **kwargs)


class OrgFilterSet(django_filters.FilterSet):
    """A FilterSet that knows the organisation, for filters that look objects up by key.

    A parameter that is present must hold a value: `?kind=` is a 400 like `?kind=foo`, not
    'no filter', so what the schema calls a choice is a choice."""

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.org = org

    def is_valid(self) -> bool:
        valid: bool = super().is_valid()
        for name in self.filters:
            if name in self.data and self.data.get(name) == "":
                self.form.add_error(name, "Give a value, or leave the parameter out.")
                valid = False
        return valid


class OrgFilterBackend(DjangoFilterBackend):
    def get_filterset_kwargs(self, request: Request, queryset: Any, view: APIView) -> dict:
        return {
            **super().get_filterset_kwargs(request, queryset, view),
            "org": cast(OrgAPIView, view).org,
        }


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


NO_NUL_PATTERN = "^[^\\u0000]*$"


@extend_schema_field({"type": "string", "minLength": 1, "pattern": NO_NUL_PATTERN})
class TextFilter(django_filters.CharFilter):
    """Free text; PostgreSQL text cannot hold NUL, so Django's form field refuses it (400)."""


class OrgAPIView(APIView):
    """Base of every org-scoped endpoint: `self.org`, `self.membership`, `self.api_key` are
    set and the organisation scope is active for the whole request, rendering included."""

    authentication_classes = [ApiKeyAuthentication, SessionAuthentication]
    permission_classes = [OrgAccess]
    throttle_classes = [PrincipalRateThrottle]
    org: Organization
    membership: Membership | None
    api_key: ApiKey | None

    def dispatch(self, request: Any, *args: Any, **kwargs: Any) -> HttpResponseBase:
        with ExitStack() as stack:
            self.scope_stack = stack
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args: Any, **kwargs: Any) -> None:
        """DRF's order, with the organisation resolved between authentication and the
        permission checks (see `perform_authentication`)."""
        refuse_key_in_query(request)
        super().initial(request, *args, **kwargs)

    def perform_authentication(self, request: Request) -> None:
        super().perform_authentication(request)
        if request.user.is_authenticated:  # else OrgAccess answers 401
            self.enter_org(request)

    def enter_org(self, request: Request) -> None:
        """The organisation comes from the URL; a key works only for its own, a person only
        for one they belong to. Anything else is a 404, like a missing organisation. The scope
        stays entered for the whole request, rendering included."""
        org = Organization.objects.filter(slug=self.kwargs.get("org_slug")).first()
        key = request.auth if isinstance(request.auth, ApiKey) else None
        if org is None or (key is not None and key.organization_id != org.pk):
            raise Http404("No such organisation.")
        owner = key.created_by if key is not None else request.user
        membership = membership_for(org=org, user=owner)
        if key is None and membership is None:
            raise Http404("No such organisation.")
        self.org, self.api_key, self.membership = org, key, membership
        self.scope_stack.enter_context(org_scope(org))

    def actor(self) -> Membership:
        """The person a write acts for: the signed-in member, or the key's creator."""
        if self.membership is None:
            raise DjangoPermissionDenied("The creator of this API key is no longer a member.")
        return self.membership


@csrf_exempt  # answers "not found" to every method; there is nothing to forge
def api_not_found(request: Any, *args: Any, **kwargs: Any) -> JsonResponse:
    """Any /api/ URL no route matched (say, an id that is not a UUID): the JSON 404 the schema
    documents, not Django's HTML page."""
    return JsonResponse({"detail": "Not found."}, status=status.HTTP_404_NOT_FOUND)


class OrgListAPIView(OrgAPIView):
    """A list endpoint: its FilterSet (strict: a bad value is a 400 naming the parameter) and
    its cursor pagination are declared as attributes, so drf-spectacular documents both, the
    `{next, previous, results}` envelope included."""

    filter_backends: ClassVar[list[type]] = [OrgFilterBackend]
    filterset_class: ClassVar[type[OrgFilterSet] | None] = None
    pagination_class: ClassVar[type[CursorPagination]] = CreatedCursorPagination
    # Only the model matters: drf-spectacular and django-filter read it to type the filters.
    queryset: ClassVar[models.QuerySet | None] = None

    def paginated(self, queryset: models.QuerySet, serializer: type) -> Response:
        for backend in self.filter_backends:
            queryset = backend().filter_queryset(self.request, queryset, self)
        paginator = self.pagination_class()
        page = paginator.paginate_queryset(queryset, self.request, view=self)
        context = {"request": self.request, "view": self}  # as DRF's generic views pass it
        return paginator.get_paginated_response(serializer(page, many=True, context=context).data)


def _principal(request: Request) -> str:
    if isinstance(request.auth, ApiKey):
        return f"key:{request.auth.pk}"
    return f"user:{request.user.pk}"


IDEMPOTENCY_KEY_MAX_LENGTH = 255


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
        if not 0 < len(key) <= IDEMPOTENCY_KEY_MAX_LENGTH:
            raise exceptions.ValidationError(
                {"Idempotency-Key": [f"Must be 1 to {IDEMPOTENCY_KEY_MAX_LENGTH} characters."]}
            )
        body = request._request.body  # read before the parser, to fingerprint what was sent
        fingerprint = hashlib.sha256(
            b"\n".join([(request.method or "").encode(), request.path.encode(), body])
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
                    {"detail": "This Idempotency-Key was already used for a different request."},
                    status=status.HTTP_422_UNPROCESSABLE_ENTITY,
                )
            if first.response_status is None:
                return Response(
                    {"detail": "The first request with this Idempotency-Key is still running."},
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
        # The answer is kept as the client received it: rendered by the API's own renderer, so
        # ids, dates and decimals are stored as the JSON strings that were sent.
        rendered = JSONRenderer().render(response.data) if response.data is not None else b"null"
        # Server errors may be retried; so may an error answer that echoes a NUL from the
        # request (an unknown field's name), which PostgreSQL's jsonb cannot store and which
        # wrote nothing anyway.
        if response.status_code >= 500 or b"\\u0000" in rendered:
            record.delete()
        else:
            record.response_status = response.status_code
            record.response_body = json.loads(rendered)
            record.save(update_fields=["response_status", "response_body"])
        return response

    wrapper.idempotent = True  # type: ignore[attr-defined]  # read by ApiAutoSchema
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


# The error bodies the API really sends: DRF's `{"detail": ...}` for everything but field
# errors, which name each field (or query parameter, or header) with a list of messages.
ERROR_SCHEMAS: dict[str, dict] = {
    "Error": {
        "type": "object",
        "properties": {"detail": {"type": "string"}},
        "required": ["detail"],
    },
    "FieldErrors": {
        "type": "object",
        "description": "Each field, query parameter or header at fault, with its messages; "
        "`non_field_errors` for faults of the whole body.",
        "additionalProperties": {"type": "array", "items": {"type": "string"}},
        "minProperties": 1,
    },
}
RETRY_AFTER = {
    "Retry-After": {
        "schema": {"type": "integer", "minimum": 0},
        "description": "Seconds to wait before sending the request again.",
    }
}


class ApiAutoSchema(AutoSchema):
    """drf-spectacular's AutoSchema plus what every operation has in common: its error
    answers, and the Idempotency-Key header of the POSTs that honour one. A view documents
    only its own successes and any error body special to it (merged in here with `anyOf`)."""

    def _error_statuses(self) -> dict[str, tuple[str, list[str]]]:
        statuses = {
            "400": (
                "Invalid input: a field error per field or parameter, or a malformed request "
                "(bad JSON, an API key in the URL).",
                ["FieldErrors", "Error"],
            ),
            "401": (
                "No credentials, or an API key that is unknown, revoked or expired.",
                ["Error"],
            ),
            "404": (
                "No such organisation (or not one the caller may see), no such object, or an "
                "invalid cursor.",
                ["Error"],
            ),
            "429": ("Too many requests for this key or person.", ["Error"]),
        }
        if self.method not in SAFE_METHODS:
            statuses["403"] = (
                "A read-only key, a role that may not do this, or a missing CSRF token.",
                ["Error"],
            )
            statuses["413"] = ("The body is larger than the API accepts.", ["Error"])
            statuses["415"] = ("The body is not `application/json`.", ["Error"])
        if self._is_idempotent():
            statuses["409"] = (
                "A request with this Idempotency-Key is still running.",
                ["Error"],
            )
            statuses["422"] = (
                "This Idempotency-Key was already used with a different request.",
                ["Error"],
            )
        return statuses

    # drf-spectacular's own signature, which the DRF stubs' ViewInspector does not share.
    def get_description(self) -> str:  # type: ignore[override]
        # drf-spectacular falls back to the view's docstring, inherited ones included, which
        # would publish our base classes' notes to API clients: only a handler's or the
        # endpoint's own docstring describes an operation.
        handler = getattr(self.view, self.method.lower(), None)
        own = getattr(handler, "__doc__", None) or type(self.view).__dict__.get("__doc__")
        return inspect.cleandoc(own) if own else ""

    def _is_idempotent(self) -> bool:
        handler = getattr(self.view, self.method.lower(), None)
        return bool(getattr(handler, "idempotent", False))

    def get_override_parameters(self) -> list:
        parameters = list(super().get_override_parameters())
        if self._is_idempotent():
            parameters.append(
                OpenApiParameter(
                    "Idempotency-Key",
                    {"type": "string", "minLength": 1, "maxLength": IDEMPOTENCY_KEY_MAX_LENGTH},
                    location=OpenApiParameter.HEADER,
                    description="Send the same key with a retry: the first answer is replayed, "
                    "nothing is written twice. Keys are kept "
                    f"{settings.IDEMPOTENCY_KEY_HOURS} hours.",
                )
            )
        return parameters

    def _get_response_bodies(
        self, direction: Literal["request", "response"] = "response"
    ) -> dict[str, Any]:
        responses = super()._get_response_bodies(direction)
        for name, schema in ERROR_SCHEMAS.items():
            self.registry.register_on_missing(
                ResolvedComponent(
                    name=name, type=ResolvedComponent.SCHEMA, object=name, schema=schema
                )
            )
        for code, (description, names) in self._error_statuses().items():
            refs = [{"$ref": f"#/components/schemas/{name}"} for name in names]
            response = responses.setdefault(code, {})
            response["description"] = response.get("description") or description
            content = response.setdefault("content", {})
            own = content.get("application/json", {}).get("schema")
            if own is not None and own not in refs:
                refs = [own, *refs]
            content["application/json"] = {"schema": refs[0] if len(refs) == 1 else {"anyOf": refs}}
            if code == "429":
                response.setdefault("headers", {}).update(RETRY_AFTER)
        return dict(sorted(responses.items()))
