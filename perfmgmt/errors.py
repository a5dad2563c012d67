"""What an error looks like: JSON `{"detail": ...}` under /api/, the site's own page elsewhere.

Django calls these (perfmgmt/urls.py's handler400/403/404/500) when DEBUG is off. DRF answers
its own errors in JSON already; these cover what happens outside a DRF view: an unknown /api/
URL, a body Django refused, an unhandled exception.
"""

from __future__ import annotations

import sys

from django.core.exceptions import RequestDataTooBig
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader

from perfmgmt.http import is_api

# Seconds a client is asked to wait when the database is away (a restart takes a few).
DATABASE_RETRY_AFTER = 5


def _error(
    request: HttpRequest, status: int, detail: str, *, with_request: bool = True
) -> HttpResponse:
    if is_api(request):
        return JsonResponse({"detail": detail}, status=status)
    context = {"status": status, "detail": detail}
    # A 5xx page is rendered without the request: its context processors would load the
    # session and the user, which may be exactly what just failed.
    body = loader.render_to_string("error.html", context, request if with_request else None)
    return HttpResponse(body, status=status)


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponse:
    if isinstance(exception, RequestDataTooBig):
        return _error(request, 413, "The request body is too large.")
    return _error(request, 400, "Bad request.")


def permission_denied(request: HttpRequest, exception: Exception) -> HttpResponse:
    # Our PermissionDenied messages are written for the reader ("Only admins manage API keys.").
    return _error(request, 403, str(exception) or "You may not do this.")


def page_not_found(request: HttpRequest, exception: Exception) -> HttpResponse:
    return _error(request, 404, "Not found.")


def server_error(request: HttpRequest) -> HttpResponse:
    # Django calls this while handling the exception, so it is still at hand.
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        # The database is restarting or unreachable: a temporary condition, not our bug, and a
        # client may retry. Connections are health-checked, so the next request reconnects.
        response = _error(
            request, 503, "The service is briefly unavailable; try again.", with_request=False
        )
        response["Retry-After"] = str(DATABASE_RETRY_AFTER)
        return response
    return _error(request, 500, "Internal server error.", with_request=False)
