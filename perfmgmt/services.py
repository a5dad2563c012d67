"""Writes for the tenancy core."""

from __future__ import annotations

from django.contrib.auth.models import AbstractBaseUser
from django.db import transaction
from django.utils.text import slugify

from perfmgmt.models import Membership, Organization, Role, Team
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_members, ensure_same_org


@transaction.atomic
def organization_create(
    *,
    name: str,
    slug: str = "",
    timezone: str = "UTC",
    fiscal_year_start_month: int = 1,
    admin: AbstractBaseUser | None = None,
) -> Organization:
    org = Organization(
        name=name,
        slug=slug or slugify(name),
        timezone=timezone,
        fiscal_year_start_month=fiscal_year_start_month,
    )
    org.full_clean()
    org.save()
    if admin is not None:
        membership_set(org=org, user=admin, role=Role.ADMIN)
    return org


@transaction.atomic
def membership_set(
    *, org: Organization, user: AbstractBaseUser, role: str, team: Team | None = None
) -> Membership:
    """Add a user to an organisation or change their role and team."""
    ensure_same_org(org, team=team)
    with org_scope(org):
        membership = Membership.objects.filter(user=user).first() or Membership(
            organization=org, user=user
        )
        membership.role = role
        membership.team = team
        membership.full_clean()
        membership.save()
    return membership


@transaction.atomic
def team_create(
    *,
    org: Organization,
    name: str,
    slug: str = "",
    parent: Team | None = None,
    lead: AbstractBaseUser | None = None,
) -> Team:
    ensure_same_org(org, parent=parent)
    ensure_members(org, lead=lead)
    team = Team(organization=org, name=name, slug=slug or slugify(name), parent=parent, lead=lead)
    with org_scope(org):
        team.full_clean()
        team.save()
    return team
