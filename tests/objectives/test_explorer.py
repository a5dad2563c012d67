from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from objectives.explorer import Filters, strategy_map
from tests.factories import KpiFactory, MetricValueFactory, ObjectiveFactory, TargetFactory


def test_the_explorer_lists_priorities_collapsed_with_their_worst_status(
    acme, acme_cascade, client_for
):  # noqa: E501
    page = client_for(acme.viewer).get("/o/acme/explorer/").content.decode()
    assert acme_cascade.priority.title in page and 'aria-expanded="false"' in page
    assert acme_cascade.objective.title not in page  # not loaded until expanded
    assert "1 objective" in page and "At risk" in page


def test_expanding_a_priority_returns_its_subtree_fragment(acme, acme_cascade, client_for):
    url = f"/o/acme/explorer/{acme_cascade.priority.pk}/"
    fragment = client_for(acme.viewer).get(url, HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in fragment and acme_cascade.objective.title in fragment
    assert acme_cascade.kpi.name in fragment and 'aria-expanded="true"' in fragment
    collapsed = (
        client_for(acme.viewer).get(url + "?collapse=1", HTTP_HX_REQUEST="true").content.decode()
    )
    assert acme_cascade.objective.title not in collapsed


def test_filters_update_the_tree_in_place(acme, acme_cascade, client_for):
    client = client_for(acme.viewer)
    fragment = client.get(
        "/o/acme/explorer/?perspective=customer",
        HTTP_HX_REQUEST="true",
        HTTP_HX_TARGET="explorer-tree",
    ).content.decode()
    assert "<html" not in fragment and "Nothing matches" in fragment
    subtree = client.get(f"/o/acme/explorer/{acme_cascade.priority.pk}/?kind=lead").content.decode()
    assert "No objective matches" in subtree
    subtree = client.get(
        f"/o/acme/explorer/{acme_cascade.priority.pk}/?status=amber"
    ).content.decode()
    assert acme_cascade.kpi.name in subtree


def test_the_strategy_map_stays_readable_with_200_objectives(acme, acme_cascade, client_for):
    for i in range(200):
        ObjectiveFactory(
            organization=acme.org,
            team=acme.sales,
            owner=acme.lead.user,
            priority=acme_cascade.priority,
            title=f"Objective number {i} with a long title that goes on",
        )
    page = client_for(acme.viewer).get("/o/acme/map/").content.decode()
    assert page.count('class="box box-objective') == 201
    assert "Objective number 199 with a long title that goes on" in page  # the full title
    # Titles wrap to two lines and the second is cut short rather than overflowing the box.
    assert re.search(
        r'○ Objective number 1</tspan><tspan x="\d+" dy="15">with a long title…</tspan>', page
    )


def test_sub_objectives_sit_below_their_parent_on_the_map(acme, acme_cascade):
    child = ObjectiveFactory(
        organization=acme.org,
        team=acme.sales,
        owner=acme.lead.user,
        priority=acme_cascade.priority,
        parent=acme_cascade.objective,
    )
    result = strategy_map(org=acme.org, filters=Filters(), url_for=lambda o: f"/{o.pk}/")
    boxes = {box.url: box for box in result.boxes if box.kind == "objective"}
    parent, below = boxes[f"/{acme_cascade.objective.pk}/"], boxes[f"/{child.pk}/"]
    assert below.y > parent.y
    centre = lambda box: box.x + box.width // 2  # noqa: E731
    line = (centre(parent), parent.y + parent.height, centre(below), below.y)
    assert line in result.lines  # drawn from the parent down to the sub-objective


def grow(world, cascade, n: int) -> None:
    for i in range(n):
        parent = ObjectiveFactory(
            organization=world.org,
            team=world.sales,
            owner=world.lead.user,
            priority=cascade.priority,
        )
        child = ObjectiveFactory(
            organization=world.org,
            team=world.sales,
            owner=world.lead.user,
            priority=cascade.priority,
            parent=parent,
        )
        kpi = KpiFactory(organization=world.org, objective=child)
        MetricValueFactory(kpi=kpi, value=i)
        TargetFactory(kpi=kpi)


@pytest.mark.parametrize(
    "path", ["explorer/", "explorer/{priority}/", "map/", "explorer/?status=red"]
)
def test_the_explorer_costs_the_same_queries_at_any_size(acme, acme_cascade, client_for, path):
    client = client_for(acme.admin)
    url = "/o/acme/" + path.format(priority=acme_cascade.priority.pk)
    grow(acme, acme_cascade, 2)
    with CaptureQueriesContext(connection) as small:
        assert client.get(url).status_code == 200
    grow(acme, acme_cascade, 12)
    with CaptureQueriesContext(connection) as big:
        assert client.get(url).status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries)
