from __future__ import annotations

import pytest
from django.contrib.auth import authenticate, get_user_model
from django.core.management import CommandError, call_command
from django.http import HttpRequest

from metrics.models import Kpi, KpiLink, MetricValue
from metrics.rag import rollup
from metrics.selectors import kpi_statuses
from objectives.models import Objective, StrategicPriority
from perfmgmt.models import Organization, Team
from perfmgmt.tenancy import org_scope


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    """Seed once for the module (it takes seconds) and clean up afterwards."""
    with django_db_blocker.unblock():
        call_command("seed_demo", force=True)  # tests run with DEBUG off
        yield Organization.objects.get(slug="acme")
        Organization.objects.all().delete()
        from django.contrib.auth import get_user_model

        get_user_model().objects.all().delete()


@pytest.mark.django_db
def test_the_demo_has_a_realistic_cascade(demo):
    with org_scope(demo):
        assert StrategicPriority.objects.count() == 4
        assert set(StrategicPriority.objects.values_list("perspective", flat=True)) == {
            "financial",
            "customer",
            "internal",
            "learning",
        }
        assert Team.objects.count() >= 5
        assert Objective.objects.count() == 12
        assert Objective.objects.filter(parent__isnull=False).exists()
        kpis = list(Kpi.objects.all())
        assert len(kpis) == 40
        assert {k.kind for k in kpis} == {"lead", "lag"}
        assert KpiLink.objects.count() >= 10
        assert MetricValue.objects.count() > 1800
    rags = [s.rag for s in kpi_statuses(org=demo, kpis=kpis).values()]
    assert "red" in rags and "green" in rags
    stale = [s for s in kpi_statuses(org=demo, kpis=kpis).values() if s.stale]
    assert stale


@pytest.mark.django_db
def test_the_demo_tells_a_story_a_ceo_would_believe(demo):
    """Round targets, whole counts, clear wins, one team slipping, a lead that turned before
    its lag, a margin sliding toward a miss — and no map that is red everywhere."""
    with org_scope(demo):
        kpis = list(Kpi.objects.select_related("objective__team", "objective__priority"))
        statuses = kpi_statuses(org=demo, kpis=kpis)
        by_team: dict[str, list] = {}
        by_priority: dict[str, list] = {}
        for kpi in kpis:
            status = statuses[kpi.pk]
            by_team.setdefault(kpi.objective.team.slug, []).append((status.rag, kpi.is_key))
            by_priority.setdefault(kpi.objective.priority_id, []).append((status.rag, kpi.is_key))
            if not kpi.unit:  # counts are whole numbers, their targets too
                assert all(v == int(v) for v in kpi.values.values_list("value", flat=True))
                assert all(t == int(t) for t in kpi.targets.values_list("value", flat=True))
        teams = {slug: rollup(pairs).rag for slug, pairs in by_team.items()}
        assert teams["engineering"] == "green" and teams["operations"] == "red", teams
        assert "red" not in {rollup(pairs).rag for pairs in by_priority.values()}
        # Business-review coverage turned eight months ago; expansion ARR followed two later.
        qbr = list(Kpi.objects.get(key="qbr-coverage").values.order_by("period_date"))
        expansion = list(Kpi.objects.get(key="expansion-arr").values.order_by("period_date"))
        assert qbr[-1].value - qbr[-10].value > 15
        assert expansion[-1].value - expansion[-8].value > 15
        margin = [
            v.value for v in Kpi.objects.get(key="gross-margin").values.order_by("period_date")
        ]
        assert all(a > b for a, b in zip(margin[-8::2], margin[-6::2], strict=False))  # sliding
        assert statuses[Kpi.objects.get(key="gross-margin").pk].rag == "green"  # just, for now


@pytest.mark.django_db
def test_the_demo_lead_has_a_checkin_to_do_and_reviews_have_history(demo):
    from django.contrib.auth import get_user_model

    from reviews.models import ReviewMeeting
    from reviews.selectors import agenda_build, what_i_owe

    lead = get_user_model().objects.get(username="lead")
    owed = what_i_owe(org=demo, user=lead)
    assert owed.checkins and owed.actions
    with org_scope(demo):
        assert ReviewMeeting.objects.count() == 2
    agenda = agenda_build(org=demo)
    assert agenda.red_kpis and agenda.missing_checkins and agenda.low_confidence


@pytest.mark.django_db
def test_every_demo_role_can_log_in(demo):
    for username in ("admin", "ceo", "cfo", "lead", "member", "viewer", "globex", "consultant"):
        user = authenticate(HttpRequest(), username=username, password="perfmgmt-demo")
        assert user is not None, username


@pytest.mark.django_db
def test_seeding_again_with_if_empty_changes_nothing(demo):
    with org_scope(demo):
        before = MetricValue.objects.count()
    call_command("seed_demo", if_empty=True, force=True)
    with org_scope(demo):
        assert MetricValue.objects.count() == before
    assert Organization.objects.count() == 2


@pytest.mark.django_db
def test_the_globex_admin_gets_404_on_acme(demo, client):
    client.login(request=HttpRequest(), username="globex", password="perfmgmt-demo")
    assert client.get("/o/acme/").status_code == 404
    assert client.get("/o/globex/").status_code == 200


@pytest.mark.django_db
def test_each_demo_role_sees_at_most_seven_key_metrics(demo):
    from perfmgmt.models import Membership
    from reviews.dashboards import dashboard_get, default_view

    with org_scope(demo):
        memberships = list(Membership.objects.select_related("user", "team"))
    for membership in memberships:
        board = dashboard_get(org=demo, membership=membership, view=default_view(membership))
        assert len(board.cards) <= 7, (membership.user.username, len(board.cards))
        if membership.user.username in ("ceo", "cfo", "lead", "member"):
            assert board.cards, membership.user.username
        for card in board.cards:
            assert card.status.rag == _rag_read_directly(demo, card.status.kpi), card.status.kpi


def _rag_read_directly(org, kpi) -> str:
    """The RAG of a KPI worked out from its rows, one plain query at a time."""
    from metrics.models import Target

    with org_scope(org):
        latest = MetricValue.objects.filter(kpi=kpi).order_by("-period_date").first()
        if latest is None:
            return "none"
        target = Target.objects.filter(
            kpi=kpi, period_start__lte=latest.period_date, period_end__gte=latest.period_date
        ).first()
    if target is None:
        return "none"
    sign = 1 if kpi.direction == "higher" else -1
    if sign * latest.value >= sign * target.green_threshold:
        return "green"
    return "amber" if sign * latest.value >= sign * target.amber_threshold else "red"


@pytest.mark.django_db
def test_the_demo_lead_gets_one_checkin_reminder_however_often_it_runs(demo):
    import datetime as dt

    from django.core import mail

    from perfmgmt.periods import current_week
    from reviews.reminders import reminders_send

    # Saturday of this week, noon in Berlin: after Acme's Friday-10:00 check-in deadline.
    saturday = current_week(demo) + dt.timedelta(days=5)
    now = dt.datetime.combine(saturday, dt.time(11), tzinfo=dt.UTC)
    for _ in range(3):
        reminders_send(org=demo, now=now)
    to_lead = [m for m in mail.outbox if m.to == ["lead@example.com"]]
    assert [m.subject for m in to_lead].count("Weekly check-in due (Acme Corp)") == 1


@pytest.mark.django_db
def test_seed_demo_refuses_with_debug_off_unless_forced(settings):
    settings.DEBUG = False
    # Counted, not "none": the module's demo may already be in the database.
    before = (Organization.objects.count(), get_user_model().objects.count())
    with pytest.raises(CommandError, match="refuses to run with DEBUG off"):
        call_command("seed_demo", if_empty=True)
    assert (Organization.objects.count(), get_user_model().objects.count()) == before
