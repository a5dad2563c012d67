"""Middleware that must run before anything reads the request."""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse

from perfmgmt.http import is_api


class ApiBodyLimitMiddleware:
    """Refuse an API body that is too large, or of unknown length, before anything reads it.

    First in MIDDLEWARE so that no code reads the body before the size is known: the
    Idempotency-Key wrapper reads `request.body` before the parser's own check, and a body over
    DATA_UPLOAD_MAX_MEMORY_SIZE would then raise Django's RequestDataTooBig.

    A chunked body (no Content-Length) is refused with 411: Django's WSGIRequest reads exactly
    CONTENT_LENGTH bytes, so under runserver and under gunicorn alike such a body reads as empty
    and would be answered as if nothing had been sent.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api(request):
            refused = self.refuse(request)
            if refused is not None:
                return refused
        return self.get_response(request)

    @staticmethod
    def refuse(request: HttpRequest) -> HttpResponse | None:
        limit = settings.API_MAX_BODY_BYTES
        length = request.META.get("CONTENT_LENGTH") or ""
        if length.strip().isdigit():
            if int(length) <= limit:
                return None
            return JsonResponse({"detail": f"The request body exceeds {limit} bytes."}, status=413)
        if request.META.get("HTTP_TRANSFER_ENCODING"):
            detail = "Send the body with a Content-Length header; chunked bodies are not accepted."
            return JsonResponse({"detail": detail}, status=411)
        return None
