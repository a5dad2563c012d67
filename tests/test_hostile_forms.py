"""Every page's form, posted with hostile values by a signed-in admin: never a 500.

The fields are read off each page as a browser would see them, so a new form is covered without
touching this test. Each field gets, in turn, a NUL byte, an oversized string, dates outside any
sane window, non-numbers, and `next` targets that must not be followed.
"""

from __future__ import annotations

import itertools
import re

import pytest

from tests.perfmgmt.test_outsider_walk import acme_objects, all_routes, fill  # noqa: F401

HOSTILE = [
    "\x00",
    "x" * 20_000,
    "9999-12-31",
    "0001-01-01",
    "NaN",
    "1e400",
    "-1",
    "",
    "https://evil.example/",
    "evil",
    "2026-02-30",
    "<script>alert(1)</script>",
]
FIELD = re.compile(r'<(?:input|select|textarea)[^>]*\bname="([^"]+)"', re.IGNORECASE)


def page_fields(html: str) -> list[str]:
    return sorted({name for name in FIELD.findall(html) if name != "csrfmiddlewaretoken"})


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["admin", "lead"])  # the admin manages, the lead checks in
def test_hostile_form_posts_never_get_a_server_error(acme, acme_objects, client_for, who):  # noqa: F811
    client = client_for(getattr(acme, who))
    client.raise_request_exception = False
    routes = [r for r in all_routes() if "<slug:org_slug>" in r and not r.startswith("api/")]
    posted = 0
    failures = []
    for route in routes:
        url = fill(route, "acme", acme_objects)
        page = client.get(url)
        # A download (a pack's file) is no page: it has no form to read.
        is_page = page.status_code == 200 and not page.streaming
        fields = page_fields(page.content.decode()) if is_page else []
        fields = [*fields, "next"]
        values = itertools.cycle(HOSTILE)
        for round_ in range(len(HOSTILE)):
            data = {name: next(values) for name in fields}
            for htmx in (False, True):
                headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
                response = client.post(url, data, **headers)
                posted += 1
                if response.status_code >= 500:
                    failures.append(
                        f"POST {url} round {round_} htmx={htmx}: {response.status_code}"
                    )
            next(values)  # shift the pairing of fields and values between rounds
    assert posted >= 100
    assert failures == []
