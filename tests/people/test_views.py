"""The people pages: every one answers its insiders, and the small forms do what they say."""

from __future__ import annotations

import json

from django.template.loader import render_to_string

from reviews.people import services


def test_world_builds(people, client_for):
    c = client_for(people.acme.lead)
    for url in [
        "/o/acme/people/",
        f"/o/acme/people/one-on-ones/{people.meeting.pk}/",
        f"/o/acme/people/plans/{people.plan.pk}/",
        "/o/acme/people/recognition/",
        "/o/acme/people/leaderboard/",
        "/o/acme/people/plans/new/",
        "/o/acme/people/one-on-ones/new/",
        f"/o/acme/people/plans/{people.plan.pk}/pdf/",
        "/o/acme/people/my-data/",
        "/o/acme/people/recognition/feed/",
    ]:
        r = c.get(url, HTTP_HX_REQUEST="true")
        assert r.status_code == 200, (url, r.status_code, r.content[:3000])
    r = client_for(people.acme.admin).get("/o/acme/people/partners/")
    assert r.status_code == 200


def test_the_lead_records_a_milestone_review_on_the_plan_page(people, client_for):
    services.plan_approve(org=people.acme.org, actor=people.partner, plan=people.plan)
    lead = client_for(people.acme.lead)
    url = f"/o/acme/people/plans/{people.plan.pk}/"
    assert "Review of 31 Dec 2026" in lead.get(url).content.decode()
    response = lead.post(f"{url}milestone/", {"due_on": "2026-12-31", "note": "Better calls"})
    assert response.status_code == 302
    page = lead.get(url).content.decode()
    assert "reviewed: Better calls" in page
    # the member reads the review but may not record one
    member = client_for(people.acme.member)
    assert "reviewed: Better calls" in member.get(url).content.decode()
    member.post(f"{url}milestone/", {"due_on": "2027-01-30", "note": "mine"})
    assert "reviewed: mine" not in member.get(url).content.decode()


def test_a_plan_on_someone_elses_kpi_is_refused_with_a_message_not_an_error(
    people, client_for, globex_cascade
):
    lead = client_for(people.acme.lead)
    data = {
        "person": people.acme.member.pk,
        "concerns": "c",
        "support": "s",
        "consequences": "x",
        "start_date": "2026-12-01",
        "duration_days": "30",
        "kpi_1": str(globex_cascade.kpi.pk),
        "target_1": "5",
    }
    response = lead.post("/o/acme/people/plans/new/", data)
    assert response.status_code == 400
    data["kpi_1"], data["target_1"] = str(people.kpi.pk), "NaN"
    assert lead.post("/o/acme/people/plans/new/", data).status_code == 400


def test_the_person_level_leaderboard_shows_only_when_an_admin_turns_it_on(people, client_for):
    viewer = client_for(people.acme.viewer)
    assert "<h2>People</h2>" not in viewer.get("/o/acme/people/leaderboard/").content.decode()
    admin = client_for(people.acme.admin)
    response = admin.post(
        "/o/acme/people/settings/",
        {"person_leaderboard": "on", "min_group_size": "5"}
        | {f"keep_{kind}_days": "365" for kind in ("one_on_ones", "recognition", "plans")}
        | {"keep_assessments_days": "365"},
    )
    assert response.status_code == 302
    page = viewer.get("/o/acme/people/leaderboard/").content.decode()
    assert "<h2>People</h2>" in page
    assert services.people_settings(people.acme.org).keep_plans_days == 365
    assert (
        client_for(people.acme.lead)
        .post("/o/acme/people/settings/", {"min_group_size": "5"})
        .status_code
        == 403
    )


def test_the_export_holds_the_persons_competencies_and_goals(people, client_for):
    data = json.loads(client_for(people.acme.member).get("/o/acme/people/my-data/").content)
    assert data["assessments"][0]["kind"] == "self"
    assert data["assessments"][0]["ratings"] == {"Pipeline discipline": 3, "Negotiation": 2}


def test_the_dashboard_loader_fetches_the_feed_from_the_people_layer(people, rf):
    request = rf.get("/o/acme/dashboard/")
    request.org = people.acme.org
    html = render_to_string("people/partials/recognition-feed-loader.html", request=request)
    assert 'hx-get="/o/acme/people/recognition/feed/"' in html
    assert 'href="/o/acme/people/recognition/"' in html
    assert "PRAISE" not in html  # the loader itself holds no praise
