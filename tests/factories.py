"""factory_boy factories. Tenant rows are created with scopes disabled: tests build the world,
the code under test must still enter a scope itself."""

from __future__ import annotations

import datetime as dt

import factory
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled

from metrics.models import Kpi, MetricValue, Target
from objectives.models import Objective, Perspective, StrategicPriority
from perfmgmt.models import Membership, Organization, Role, Team


class ScopedFactory(factory.django.DjangoModelFactory):
    class Meta:
        abstract = True

    @classmethod
    def _create(cls, model_class, *args, **kwargs):
        with scopes_disabled():
            return super()._create(model_class, *args, **kwargs)


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    first_name = factory.Faker("first_name")
    last_name = factory.Faker("last_name")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")

    @factory.post_generation
    def password(self, create: bool, extracted: str | None, **kwargs) -> None:
        self.set_password(extracted or "secret-pass-123")
        if create:
            self.save(update_fields=["password"])


class OrganizationFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Organization

    name = factory.Sequence(lambda n: f"Org {n}")
    slug = factory.Sequence(lambda n: f"org-{n}")


class TeamFactory(ScopedFactory):
    class Meta:
        model = Team

    organization = factory.SubFactory(OrganizationFactory)
    name = factory.Sequence(lambda n: f"Team {n}")
    slug = factory.Sequence(lambda n: f"team-{n}")


class MembershipFactory(ScopedFactory):
    class Meta:
        model = Membership

    organization = factory.SubFactory(OrganizationFactory)
    user = factory.SubFactory(UserFactory)
    role = Role.MEMBER


class PriorityFactory(ScopedFactory):
    class Meta:
        model = StrategicPriority

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Priority {n}")
    perspective = Perspective.FINANCIAL
    owner = factory.SubFactory(UserFactory)
    rank = factory.Sequence(lambda n: n + 1)
    horizon_start = dt.date(2026, 1, 1)
    horizon_end = dt.date(2028, 12, 31)


class ObjectiveFactory(ScopedFactory):
    class Meta:
        model = Objective

    organization = factory.SubFactory(OrganizationFactory)
    title = factory.Sequence(lambda n: f"Objective {n}")
    team = factory.SubFactory(TeamFactory, organization=factory.SelfAttribute("..organization"))
    owner = factory.SubFactory(UserFactory)
    priority = factory.SubFactory(
        PriorityFactory, organization=factory.SelfAttribute("..organization")
    )
    period_kind = "year"
    period_start = dt.date(2026, 1, 1)
    period_end = dt.date(2026, 12, 31)


class KpiFactory(ScopedFactory):
    class Meta:
        model = Kpi

    organization = factory.SubFactory(OrganizationFactory)
    key = factory.Sequence(lambda n: f"kpi-{n}")
    name = factory.Sequence(lambda n: f"KPI {n}")
    kind = "lag"
    cadence = "monthly"
    direction = "higher"
    objective = factory.SubFactory(
        ObjectiveFactory, organization=factory.SelfAttribute("..organization")
    )
    outcome_owner = factory.SubFactory(UserFactory)
    data_owner = factory.SelfAttribute("outcome_owner")


class TargetFactory(ScopedFactory):
    class Meta:
        model = Target

    organization = factory.SelfAttribute("kpi.organization")
    kpi = factory.SubFactory(KpiFactory)
    period_start = dt.date(2026, 1, 1)
    period_end = dt.date(2026, 12, 31)
    value = 100.0
    green_threshold = 100.0
    amber_threshold = 90.0


class MetricValueFactory(ScopedFactory):
    class Meta:
        model = MetricValue

    organization = factory.SelfAttribute("kpi.organization")
    kpi = factory.SubFactory(KpiFactory)
    period_date = dt.date(2026, 6, 1)
    value = 95.0
