from __future__ import annotations

import re
import uuid
from types import SimpleNamespace

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from metrics.cascade import Filters, build_tree, strategy_map
from metrics.models import Rag
from metrics.rag import rollup, worst_rag
from tests.conftest import build_cascade
from tests.factories import (
    KpiFactory,
    MetricValueFactory,
    ObjectiveFactory,
    PriorityFactory,
    TargetFactory,
)


def test_the_cascade_shows_priorities_objectives_and_kpis(acme, acme_cascade, client_for):
    response = client_for(acme.viewer).get("/o/acme/")
    page = response.content.decode()
    assert response.status_code == 200
    for text in (acme_cascade.priority.title, acme_cascade.objective.title, acme_cascade.kpi.name):
        assert text in page
    # The value 95 against a target of 100 with amber at 90 is amber, said in words too.
    assert 'class="rag rag-amber"' in page and "At risk" in page
    assert "Lag" in page


def test_the_cascade_never_shows_another_organisations_data(
    acme, acme_cascade, globex_cascade, client_for
):
    page = client_for(acme.admin).get("/o/acme/").content.decode()
    assert globex_cascade.priority.title not in page
    assert globex_cascade.kpi.name not in page


def test_the_explorer_lists_priorities_collapsed_with_their_worst_status(
    acme, acme_cascade, client_for
):
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
    row = f"/o/acme/explorer/{acme_cascade.priority.pk}/"
    subtree = client.get(f"{row}?kind=lead", HTTP_HX_REQUEST="true").content.decode()
    assert "No objective matches" in subtree
    subtree = client.get(f"{row}?status=amber", HTTP_HX_REQUEST="true").content.decode()
    assert acme_cascade.kpi.name in subtree


def test_a_row_opened_as_a_page_is_the_explorer_at_that_row(acme, acme_cascade, client_for):
    row = f"/o/acme/explorer/{acme_cascade.priority.pk}/"
    answer = client_for(acme.viewer).get(f"{row}?status=amber&collapse=1")
    assert answer.status_code == 302
    assert answer["Location"] == (
        f"/o/acme/explorer/?status=amber#explorer-{acme_cascade.priority.pk}"
    )
    assert "HX-Request" in answer["Vary"]


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
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    grow(acme, acme_cascade, 12)
    with CaptureQueriesContext(connection) as big:
        assert client.get(url, HTTP_HX_REQUEST="true").status_code == 200
    assert len(big.captured_queries) == len(small.captured_queries)


def grow_cascade(world, n: int) -> None:
    cascade = build_cascade(world)
    for i in range(n):
        objective = ObjectiveFactory(
            organization=world.org,
            team=world.sales,
            owner=world.lead.user,
            priority=cascade.priority,
        )
        ObjectiveFactory(
            organization=world.org,
            team=world.sales,
            owner=world.lead.user,
            priority=cascade.priority,
            parent=objective,
        )
        kpi = KpiFactory(organization=world.org, objective=objective)
        MetricValueFactory(kpi=kpi, value=i)


def count_cascade_queries(client, url: str) -> int:
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(url).status_code == 200
    return len(ctx.captured_queries)


@pytest.mark.parametrize("url", ["/o/acme/"])
def test_the_cascade_costs_the_same_queries_at_any_size(acme, client_for, url):
    client = client_for(acme.admin)
    grow_cascade(acme, 2)
    small = count_cascade_queries(client, url)
    grow_cascade(acme, 20)
    assert count_cascade_queries(client, url) == small


def test_the_worst_status_wins_and_no_kpi_reads_as_no_data():
    assert worst_rag([Rag.GREEN, Rag.RED, Rag.AMBER]) == Rag.RED
    assert worst_rag(["green", "amber", "none"]) == Rag.AMBER
    assert worst_rag([]) == Rag.NONE


def test_one_tree_serves_the_cascade_and_the_filtered_explorer():
    def objective(parent=None):
        return SimpleNamespace(pk=uuid.uuid4(), priority_id="p", parent_id=parent)

    def status(objective_id, rag):
        return SimpleNamespace(kpi=SimpleNamespace(objective_id=objective_id), rag=rag)

    top = objective()
    child = objective(parent=top.pk)
    red, green = status(child.pk, Rag.RED), status(top.pk, Rag.GREEN)
    elsewhere = status(uuid.uuid4(), Rag.AMBER)

    roots, unaligned = build_tree([top, child], [red, green, elsewhere])
    assert [n.objective for n in roots["p"]] == [top] and unaligned == [elsewhere]
    assert roots["p"][0].children[0].kpis == [red]

    # Filtered to red and pruned, the child hangs from the priority in place of its parent.
    roots, _ = build_tree([top, child], [red, green], keep=lambda s: s.rag == Rag.RED, prune=True)
    assert [n.objective for n in roots["p"]] == [child]


def test_the_rollup_reads_the_share_on_target_with_the_worst_beside_it():

    mostly_green = rollup([("green", False)] * 9 + [("red", False)])
    assert (mostly_green.rag, mostly_green.worst) == (Rag.GREEN, Rag.RED)
    assert mostly_green.on_target == 0.9
    # A key KPI counts twice: two key reds against four greens is 4 of 8, at risk.
    keyed = rollup([("green", False)] * 4 + [("red", True)] * 2)
    assert (keyed.rag, keyed.on_target) == (Rag.AMBER, 0.5)
    # At risk earns half: one of each scores 0.5, at risk; one at risk alone is at risk, not
    # off target; two off and one at risk score 1/6, off target.
    assert rollup([("red", False), ("amber", False), ("green", False)]).rag == Rag.AMBER
    alone = rollup([("amber", False)])
    assert (alone.rag, alone.on_target, alone.score) == (Rag.AMBER, 0.0, 0.5)
    assert rollup([("red", False), ("red", False), ("amber", False)]).rag == Rag.RED
    # Lower-is-better KPIs arrive here already judged: the rule reads statuses only.
    assert rollup([("green", False)] * 2 + [("amber", False)] * 9 + [("red", False)]).rag == (
        Rag.AMBER
    )
    # KPIs without data neither help nor hurt; none with data is no data.
    assert rollup([("green", False), ("none", False)]).rag == Rag.GREEN
    empty = rollup([("none", True)])
    assert (empty.rag, empty.on_target, empty.counts["none"]) == (Rag.NONE, None, 1)
    assert rollup([]).rag == Rag.NONE


def test_a_priority_with_one_red_kpi_among_greens_is_on_target_with_the_worst_beside_it(
    acme, client_for
):
    from metrics.cascade import explorer_get

    with acme.scope():
        priority = PriorityFactory(organization=acme.org, owner=acme.executive.user)
        objective = ObjectiveFactory(organization=acme.org, priority=priority, team=acme.sales)
        for value in (100, 100, 100, 10):
            kpi = KpiFactory(organization=acme.org, objective=objective)
            TargetFactory(kpi=kpi)
            MetricValueFactory(kpi=kpi, value=value)
    ((perspective, rows),) = explorer_get(org=acme.org, filters=Filters()).rows
    assert (rows[0].status.rag, rows[0].status.worst, rows[0].status.on_target) == (
        Rag.GREEN,
        Rag.RED,
        0.75,
    )
    page = client_for(acme.executive).get("/o/acme/explorer/").content.decode()
    assert 'On target</span> <span class="small">75 % on target; worst: off target' in page
