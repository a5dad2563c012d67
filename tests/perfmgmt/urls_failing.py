"""The site's URLs plus views that fail on purpose, to see what an unhandled error looks like."""

from __future__ import annotations

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.urls import path

from perfmgmt import urls as site


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("secret internals that must not reach the client")


def database_gone(request: HttpRequest) -> HttpResponse:
    raise OperationalError("server closed the connection unexpectedly")


urlpatterns = [
    path("api/test/boom/", boom),
    path("api/test/database-gone/", database_gone),
    path("test/boom/", boom),
    path("test/database-gone/", database_gone),
    *site.urlpatterns,
]
handler400 = site.handler400
handler403 = site.handler403
handler404 = site.handler404
handler500 = site.handler500
