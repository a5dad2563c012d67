"""Small HTTP helpers shared by views of every floor: is this an API request, where may a
`next` parameter send the browser, where does a piece of a page opened on its own belong."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.utils.cache import patch_vary_headers
from django.utils.http import url_has_allowed_host_and_scheme


def is_api(request: HttpRequest) -> bool:
    """Everything under /api/ answers in JSON, errors included."""
    return request.path_info.startswith("/api/")


def safe_next(request: HttpRequest, default_url: str) -> str:
    """The `next` URL a form carried when it is a path on this site, else `default_url`.

    Only a local absolute path is honoured: an external or scheme-relative URL would make us an
    open redirect, and a bare word (`next=evil`) would be read relative to the current page or,
    by `redirect()`, as a view name that fails with a 500 after the write has committed.
    """
    candidate = request.POST.get("next") or request.GET.get("next") or ""
    if candidate.startswith("/") and url_has_allowed_host_and_scheme(
        candidate, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return candidate
    return default_url


def to_its_page(url: str) -> HttpResponseRedirect:
    """A piece of a page that htmx swaps in (an explorer row, the dashboard's praise feed),
    opened by a browser on its own — a bookmark, a new tab: sent to the page it belongs to.
    The answer varies on HX-Request, as the piece's own does."""
    moved = HttpResponseRedirect(url)
    patch_vary_headers(moved, ["HX-Request"])
    return moved
