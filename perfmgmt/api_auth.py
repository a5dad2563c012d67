"""What reaches the API before any view runs: who is calling (API keys) and what they sent
(JSON with a size cap). Kept apart from views so DRF's settings can import it."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.conf import settings
from rest_framework import exceptions, status
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.parsers import BaseParser
from rest_framework.renderers import JSONRenderer
from rest_framework.request import Request

from perfmgmt.history import record_api_key
from perfmgmt.models import ApiKey
from perfmgmt.services import InvalidApiKey, api_key_authenticate


class ApiKeyUser:
    """The request.user of a key-authenticated request: a machine, not a person."""

    is_authenticated = True
    is_anonymous = False
    is_active = True
    is_staff = False
    is_superuser = False
    pk = None
    id = None

    def __init__(self, key: ApiKey) -> None:
        self.key = key
        self.username = f"api-key:{key.prefix}"

    def __str__(self) -> str:
        return self.username


class ApiKeyAuthentication(BaseAuthentication):
    """`Authorization: Bearer pm_<prefix>_<secret>`."""

    def authenticate(self, request: Request) -> tuple[ApiKeyUser, ApiKey] | None:
        header = get_authorization_header(request).split()
        if not header or header[0].lower() != b"bearer":
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed("Use the header 'Authorization: Bearer <key>'.")
        try:
            key = api_key_authenticate(header[1].decode("ascii", errors="replace"))
        except InvalidApiKey as exc:
            raise exceptions.AuthenticationFailed(str(exc)) from exc
        record_api_key(key)
        return ApiKeyUser(key), key

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="perfmgmt"'


class PayloadTooLarge(exceptions.APIException):
    status_code = status.HTTP_413_REQUEST_ENTITY_TOO_LARGE
    default_detail = "The request body is too large."
    default_code = "payload_too_large"


def _constant(name: str) -> float:
    # NaN and ±Infinity parse to floats so validation can name the row that carries them.
    return float(name)


class StrictJSONParser(BaseParser):
    """JSON with a size cap; non-finite numbers are kept for validation to reject by row."""

    media_type = "application/json"
    renderer_class = JSONRenderer

    def parse(
        self,
        stream: Any,
        media_type: str | None = None,
        parser_context: Mapping[str, Any] | None = None,
    ) -> Any:
        limit = settings.API_MAX_BODY_BYTES
        request = (parser_context or {}).get("request")
        length = request.META.get("CONTENT_LENGTH") if request is not None else None
        if length and length.isdigit() and int(length) > limit:
            raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
        raw = stream.read(limit + 1) if stream is not None else b""
        if len(raw) > limit:
            raise PayloadTooLarge(f"The request body exceeds {limit} bytes.")
        try:
            return json.loads(raw or b"null", parse_constant=_constant)
        except (ValueError, UnicodeDecodeError) as exc:
            raise exceptions.ParseError(f"The body is not valid JSON: {exc}") from exc
