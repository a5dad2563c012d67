"""The lead→lag page: every declared link with its evidence, and suggested leads."""

from __future__ import annotations

import datetime as dt

import numpy as np
import pytest
from django_scopes import scopes_disabled

from metrics.forecasting.series import shift_period
from metrics.forecasting.services import org_links_refresh
from metrics.models import KpiLink, MetricValue
from tests.factories import KpiFactory

START = dt.date(2023, 1, 1)


def fill(kpi, values):
    with scopes_disabled():
        MetricValue.objects.bulk_create(
            MetricValue(
                organization=kpi.organization,
                kpi=kpi,
                period_date=shift_period(kpi.cadence, START, i),
                value=float(v),
                confidence="audited",
            )
            for i, v in enumerate(values)
        )


def link(lead, lag):
    with scopes_disabled():
        return KpiLink.objects.create(organization=lead.organization, lead=lead, lag=lag)


def walk(n, seed):
    return 100 + np.cumsum(np.random.default_rng(seed).normal(0, 1, n))


@pytest.fixture
def world(acme):
    """A true driver (the lag moves two months after it), a bogus declared lead, a KPI that
    really leads the lag but is not declared, and a link not tested yet."""
    driver_values = walk(40, seed=7)
    delayed = np.concatenate([driver_values[:2], driver_values[:-2]])
    noise = np.random.default_rng(8).normal(0, 0.3, 40)
    pipeline = KpiFactory(organization=acme.org, name="Pipeline", kind="lead")
    bogus = KpiFactory(organization=acme.org, name="Horoscope", kind="lead")
    bookings = KpiFactory(organization=acme.org, name="Bookings", kind="lag")
    fill(pipeline, driver_values)
    fill(bogus, walk(40, seed=10))  # p ≈ 0.9 (seeds 9 and 11 pass by chance: 3 % do)
    fill(bookings, 50 + 0.8 * delayed + noise)
    link(pipeline, bookings)
    link(bogus, bookings)
    org_links_refresh(org=acme.org)
    fresh = KpiFactory(organization=acme.org, name="Fresh lead", kind="lead")
    link(fresh, bookings)  # declared after the run: not tested yet
    return pipeline, bogus, bookings


def _row(page, name):
    start = page.index(f">{name}</a>")
    return page[start : page.index("</tr>", start)]


def test_the_page_marks_the_true_driver_supported_and_the_bogus_link_not(acme, world, client_for):
    page = client_for(acme.executive).get("/o/acme/lead-lag/").content.decode()
    assert "✓ Supported by the data" in _row(page, "Pipeline")
    assert "2 monthly" in _row(page, "Pipeline")  # the best lag, in periods of the cadence
    assert "✗ Not supported by the data" in _row(page, "Horoscope")
    assert "Not tested yet" in _row(page, "Fresh lead")
    assert "✓ supported: 1" in page and "not tested yet: 1" in page
    assert 'hx-get="/o/acme/lead-lag/"' in page and 'href="?suggest=1"' in page


def test_candidate_leads_come_as_a_fragment_and_without_javascript(acme, world, client_for):
    pipeline, bogus, bookings = world
    hidden = KpiFactory(organization=acme.org, name="Web visits", kind="lead")
    with scopes_disabled():
        values = dict(MetricValue.objects.filter(kpi=pipeline).values_list("period_date", "value"))
    fill(hidden, [values[d] + 0.01 for d in sorted(values)])  # a copy of Pipeline, undeclared
    client = client_for(acme.executive)
    fragment = client.get(
        "/o/acme/lead-lag/", HTTP_HX_REQUEST="true", HTTP_HX_TARGET="candidate-leads"
    )
    html = fragment.content.decode()
    assert html.lstrip().startswith('<div id="candidate-leads">') and "<html" not in html
    assert fragment["Vary"].find("HX-Request") >= 0
    full = client.get("/o/acme/lead-lag/?suggest=1").content.decode()
    assert 'id="candidate-leads"' in full and "hx-trigger" not in full
    with scopes_disabled():
        assert not KpiLink.objects.filter(lead=hidden).exists()  # suggested, never applied


def test_another_organisations_links_are_not_shown(acme, world, globex, client_for):
    a, b = (
        KpiFactory(organization=globex.org, name="Theirs A"),
        KpiFactory(organization=globex.org, name="Theirs B"),
    )
    link(a, b)
    page = client_for(acme.executive).get("/o/acme/lead-lag/?suggest=1").content.decode()
    assert "Theirs A" not in page and "Theirs B" not in page
    assert client_for(globex.executive).get("/o/acme/lead-lag/").status_code == 404
