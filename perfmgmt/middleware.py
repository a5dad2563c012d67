"""Middleware at the edge: every API error answered in JSON, a body refused before anything
reads it, and sessions that end."""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse, JsonResponse

from perfmgmt.http import is_api
from perfmgmt.twofactor import needs_code

# What an API error says when Django, not the API, wrote the page.
API_ERROR_DETAILS = {404: "Not found.", 500: "Internal server error."}
KEPT_HEADERS = ("Retry-After", "Allow", "WWW-Authenticate")


class ApiJsonErrorsMiddleware:
    """Under /api/ every error is JSON, whatever wrote it.

    DRF and our handlers (perfmgmt/errors.py) answer in JSON already; this catches what they do
    not reach: with DEBUG on (`make run`), Django's own HTML 404 and 500 debug pages. The
    exception itself is still logged by Django; the client gets `{"detail": ...}` and no
    internals.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not is_api(request)
            or response.get("Content-Type", "").startswith("application/json")
        ):
            return response
        status = response.status_code
        detail = API_ERROR_DETAILS.get(status) or f"{response.reason_phrase}."
        json_response = JsonResponse({"detail": detail}, status=status)
        for header in KEPT_HEADERS:
            if header in response:
                json_response[header] = response[header]
        return json_response


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


# Keys in the session: when the person signed in and when they were last seen (epoch seconds).
SIGNED_IN_AT = "_signed_in_at"
LAST_SEEN_AT = "_last_seen_at"
# Last-seen is written at most this often: a session write per request would cost a query each.
LAST_SEEN_EVERY = 60


def start_session_clock(sender: object, request: HttpRequest, **kwargs: object) -> None:
    """On signing in (user_logged_in): both clocks start now, written with the new session."""
    now = int(time.time())
    request.session[SIGNED_IN_AT] = now
    request.session[LAST_SEEN_AT] = now


class SessionTimeoutMiddleware:
    """Sign a person out after SESSION_IDLE_SECONDS without a request, and in any case
    SESSION_ABSOLUTE_SECONDS after they signed in.

    The cookie's own age (SESSION_COOKIE_AGE) is the absolute limit too, but a cookie's expiry is
    the browser's word; the clock kept in the session is the server's. A session without the
    clock (made before this middleware existed) starts it now.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.user.is_authenticated and hasattr(request, "session"):
            now = int(time.time())
            session = request.session
            signed_in = session.setdefault(SIGNED_IN_AT, now)
            seen = session.setdefault(LAST_SEEN_AT, now)
            idle = now - seen > settings.SESSION_IDLE_SECONDS
            if idle or now - signed_in > settings.SESSION_ABSOLUTE_SECONDS:
                logout(request)
                if not is_api(request):
                    messages.info(
                        request,
                        "You were signed out after a while without activity. Please sign in again."
                        if idle
                        else "Your session has ended. Please sign in again.",
                    )
            elif now - seen >= LAST_SEEN_EVERY:
                session[LAST_SEEN_AT] = now
        return self.get_response(request)


# What a proxy adds about the original request; believed only from a named proxy.
FORWARDED_HEADERS = ("HTTP_X_FORWARDED_PROTO", "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST")


class TrustedProxyMiddleware:
    """Drop the X-Forwarded-* headers unless the request came from a proxy in TRUSTED_PROXY.

    Django's SECURE_PROXY_SSL_HEADER believes the header from whoever sends it; this makes the
    setting name who may send it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.META.get("REMOTE_ADDR") not in settings.TRUSTED_PROXY:
            for header in FORWARDED_HEADERS:
                request.META.pop(header, None)
        return self.get_response(request)


# Paths a person who still owes a code may open: the code page, signing out, and assets.
TWO_FACTOR_OPEN = ("/accounts/two-factor/verify/", "/accounts/logout/", "/static/", "/healthz")


class TwoFactorMiddleware:
    """Someone whose account has an authenticator app gives a current code before any page;
    until then pages send them to the code page and the API answers 403."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if needs_code(request.user) and not request.path.startswith(TWO_FACTOR_OPEN):
            if is_api(request):
                detail = "Give your two-factor code at /accounts/two-factor/verify/ first."
                return JsonResponse({"detail": detail}, status=403)
            return redirect_to_login(
                request.get_full_path(), login_url="/accounts/two-factor/verify/"
            )
        return self.get_response(request)
