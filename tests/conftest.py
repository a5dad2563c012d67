"""The tenant world every test starts from: two organisations and the people in them.

Acme (org A) has an admin, an executive, a finance person, a team lead (of Sales), a member
and a viewer; Globex (org B) has its own admin, the outsider as far as Acme is concerned.
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from django.test import Client
from django_scopes import scope

from perfmgmt.models import Membership, Organization, Role, Team
from tests.factories import (
    KpiFactory,
    MembershipFactory,
    MetricValueFactory,
    ObjectiveFactory,
    OrganizationFactory,
    PriorityFactory,
    TargetFactory,
    TeamFactory,
    UserFactory,
)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2 is slow by design; the world creates a dozen users per test.
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "django.contrib.auth.hashers.PBKDF2PasswordHasher",  # to check seeded demo users
    ]


@dataclass
class OrgWorld:
    org: Organization
    sales: Team
    support: Team
    admin: Membership
    executive: Membership
    finance: Membership
    lead: Membership
    member: Membership
    viewer: Membership

    def scope(self):
        return scope(organization=self.org)


def _member(org: Organization, username: str, role: str, team: Team | None = None) -> Membership:
    user = UserFactory(username=username)
    return MembershipFactory(organization=org, user=user, role=role, team=team)


@pytest.fixture
def acme(db) -> OrgWorld:
    org = OrganizationFactory(name="Acme", slug="acme")
    sales = TeamFactory(organization=org, name="Sales", slug="sales")
    support = TeamFactory(organization=org, name="Support", slug="support")
    lead = _member(org, "lena", Role.LEAD, sales)
    sales.lead = lead.user
    sales.save()
    return OrgWorld(
        org=org,
        sales=sales,
        support=support,
        admin=_member(org, "ada", Role.ADMIN),
        executive=_member(org, "evelyn", Role.EXECUTIVE),
        finance=_member(org, "felix", Role.FINANCE),
        lead=lead,
        member=_member(org, "sam", Role.MEMBER, sales),
        viewer=_member(org, "victor", Role.VIEWER),
    )


@pytest.fixture
def globex(db) -> OrgWorld:
    org = OrganizationFactory(name="Globex", slug="globex")
    sales = TeamFactory(organization=org, name="Sales", slug="sales")
    support = TeamFactory(organization=org, name="Support", slug="support")
    lead = _member(org, "gil", Role.LEAD, sales)
    return OrgWorld(
        org=org,
        sales=sales,
        support=support,
        admin=_member(org, "grace", Role.ADMIN),
        executive=_member(org, "gene", Role.EXECUTIVE),
        finance=_member(org, "gwen", Role.FINANCE),
        lead=lead,
        member=_member(org, "gus", Role.MEMBER, sales),
        viewer=_member(org, "gia", Role.VIEWER),
    )


@dataclass
class Cascade:
    priority: object
    objective: object
    kpi: object
    target: object
    value: object


def build_cascade(world: OrgWorld) -> Cascade:
    """One priority → a Sales objective led by the world's lead → a KPI with target and value."""
    priority = PriorityFactory(organization=world.org, owner=world.executive.user)
    objective = ObjectiveFactory(
        organization=world.org, team=world.sales, owner=world.lead.user, priority=priority
    )
    kpi = KpiFactory(organization=world.org, objective=objective, outcome_owner=world.lead.user)
    return Cascade(
        priority=priority,
        objective=objective,
        kpi=kpi,
        target=TargetFactory(kpi=kpi),
        value=MetricValueFactory(kpi=kpi),
    )


@pytest.fixture
def acme_cascade(acme: OrgWorld) -> Cascade:
    return build_cascade(acme)


@pytest.fixture
def globex_cascade(globex: OrgWorld) -> Cascade:
    return build_cascade(globex)


@pytest.fixture
def client_for():
    def make(membership: Membership) -> Client:
        client = Client()
        client.force_login(membership.user)
        return client

    return make
