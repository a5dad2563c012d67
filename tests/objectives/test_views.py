from __future__ import annotations

from objectives.models import Objective, StrategicPriority
from perfmgmt.tenancy import org_scope


def test_a_viewer_sees_no_planning_buttons_and_cannot_open_the_forms(
    acme, acme_cascade, client_for
):
    client = client_for(acme.viewer)
    assert "New priority" not in client.get("/o/acme/").content.decode()
    assert client.get("/o/acme/priorities/new/").status_code == 403
    assert client.get("/o/acme/objectives/new/").status_code == 403
    assert client.post("/o/acme/objectives/new/", {"title": "x"}).status_code == 403


def test_an_executive_adds_a_priority_through_the_form(acme, client_for):
    response = client_for(acme.executive).post(
        "/o/acme/priorities/new/",
        {
            "title": "Delight customers",
            "perspective": "customer",
            "owner": acme.executive.user.pk,
            "rank": 2,
            "horizon_start": "2026-01-01",
            "horizon_end": "2027-12-31",
            "is_active": "on",
        },
    )
    assert response.status_code == 302
    with org_scope(acme.org):
        assert StrategicPriority.objects.get().title == "Delight customers"


def test_a_bad_form_names_the_field_and_writes_nothing(acme, client_for):
    response = client_for(acme.executive).post(
        "/o/acme/priorities/new/",
        {
            "title": "Delight customers",
            "perspective": "customer",
            "owner": acme.executive.user.pk,
            "rank": 2,
            "horizon_start": "2027-01-01",
            "horizon_end": "2026-12-31",
        },
    )
    assert response.status_code == 400
    assert "horizon" in response.content.decode().lower()
    with org_scope(acme.org):
        assert not StrategicPriority.objects.exists()


def test_a_lead_plans_an_objective_for_their_team_through_the_form(acme, acme_cascade, client_for):  # noqa: E501
    data = {
        "title": "Close the DACH deals",
        "priority": acme_cascade.priority.pk,
        "team": acme.sales.pk,
        "owner": acme.lead.user.pk,
        "period": "quarter:2026-10-01",
    }
    response = client_for(acme.lead).post("/o/acme/objectives/new/", data)
    assert response.status_code == 302
    with org_scope(acme.org):
        assert Objective.objects.filter(title="Close the DACH deals", team=acme.sales).exists()


def test_a_lead_cannot_plan_for_another_team_through_the_form(acme, acme_cascade, client_for):  # noqa: E501
    data = {
        "title": "Not mine",
        "priority": acme_cascade.priority.pk,
        "team": acme.support.pk,
        "owner": acme.lead.user.pk,
        "period": "quarter:2026-10-01",
    }
    assert client_for(acme.lead).post("/o/acme/objectives/new/", data).status_code == 403
    with org_scope(acme.org):
        assert not Objective.objects.filter(title="Not mine").exists()


def test_a_form_offers_no_object_of_another_organisation(acme, globex_cascade, client_for):
    page = client_for(acme.admin).get("/o/acme/objectives/new/").content.decode()
    assert globex_cascade.priority.title not in page
    assert str(globex_cascade.objective.team.pk) not in page
    assert globex_cascade.objective.owner.username not in page


def test_a_foreign_team_posted_to_the_form_is_refused(acme, acme_cascade, globex, client_for):
    data = {
        "title": "Sneaky",
        "priority": acme_cascade.priority.pk,
        "team": globex.sales.pk,
        "owner": acme.admin.user.pk,
        "period": "quarter:2026-10-01",
    }
    response = client_for(acme.admin).post("/o/acme/objectives/new/", data)
    assert response.status_code == 400
    with org_scope(acme.org):
        assert not Objective.objects.filter(title="Sneaky").exists()
