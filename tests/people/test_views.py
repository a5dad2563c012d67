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
        r = c.get(url)
        assert r.status_code == 200, (url, r.status_code, r.content[:3000])
    r = client_for(people.acme.admin).get("/o/acme/people/partners/")
    assert r.status_code == 200
