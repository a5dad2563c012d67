"""The demo's people layer: seeded onto the demo organisation, seen only by the right people,
and the plan's progress is its KPIs' own values."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command

from metrics.models import MetricValue
from perfmgmt.models import Membership, Organization
from perfmgmt.tenancy import org_scope
from reviews.people import rules, selectors
from reviews.people.demo import seed_people_demo
from reviews.people.models import (
    Assessment,
    ImprovementPlan,
    OneOnOne,
    PlanState,
    Recognition,
)


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        call_command("seed_demo", force=True)
        org = Organization.objects.get(slug="acme")
        seed_people_demo(org)
        seed_people_demo(org)  # a second call adds nothing
        yield org
        Organization.objects.all().delete()
        get_user_model().objects.all().delete()


def _as(org, username):
    with org_scope(org):
        return Membership.objects.select_related("team", "user").get(user__username=username)


@pytest.mark.django_db
def test_the_demo_has_one_on_ones_praise_and_a_plan_in_progress(demo):
    with org_scope(demo):
        assert OneOnOne.objects.count() == 2
        assert Recognition.objects.count() == 3
        assert Assessment.objects.filter(submitted_at__isnull=False).count() == 2
        plan = ImprovementPlan.objects.get()
    assert plan.state == PlanState.ACKNOWLEDGED and plan.acknowledged_version == plan.version
    assert rules.is_people_partner(_as(demo, "lead.people"))
    assert not rules.is_people_partner(_as(demo, "admin"))


@pytest.mark.django_db
def test_the_demo_plan_is_seen_only_by_sam_lena_and_the_people_partner(demo):
    with org_scope(demo):
        plan = ImprovementPlan.objects.get()
    seen = {
        username
        for username in (
            "admin",
            "ceo",
            "cfo",
            "lead",
            "lead.cs",
            "lead.people",
            "member",
            "viewer",
        )
        if rules.can_see_plan(_as(demo, username), plan)
    }
    assert seen == {"lead", "lead.people", "member"}
    meetings = {u: selectors.one_on_one_list(org=demo, actor=_as(demo, u)).count() for u in seen}
    assert meetings == {"lead": 2, "member": 2, "lead.people": 0}


@pytest.mark.django_db
def test_the_demo_plans_progress_is_its_kpis_values(demo):
    with org_scope(demo):
        plan = ImprovementPlan.objects.get()
    detail = selectors.plan_detail(org=demo, plan=plan)
    assert len(detail.expectations) == 2
    with org_scope(demo):
        for expectation in detail.expectations:
            values = MetricValue.objects.filter(kpi=expectation.kpi).order_by("-period_date")
            assert expectation.current == values.first().value
            assert expectation.baseline == (
                values.filter(period_date__lte=plan.start_date).first().value
            )
            for day, value in expectation.at_milestones:
                assert value == values.filter(period_date__lte=day).first().value
