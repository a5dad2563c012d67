"""Reads for the tenancy core, and the one way a tenant object is fetched by id."""

from __future__ import annotations

import uuid
from typing import TypeVar

from django.contrib.auth import get_user_model
from django.contrib.auth.models import AbstractUser, User
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.db.models import Model, QuerySet
from django.http import Http404
from django_scopes import scopes_disabled

from perfmgmt.models import ApiKey, Membership, Organization, Team
from perfmgmt.permissions import is_admin
from perfmgmt.tenancy import org_scope

M = TypeVar("M", bound=Model)


def get_or_404(queryset: QuerySet[M], pk: uuid.UUID | str | int, what: str) -> M:
    """Fetch by primary key from an org-scoped queryset; missing and foreign are the same 404."""
    try:
        return queryset.get(pk=pk)
    except (ObjectDoesNotExist, ValidationError, ValueError, TypeError) as exc:
        # ValidationError: an id that is not a UUID ("abc") names nothing, like a missing one.
        raise Http404(f"No such {what}.") from exc


def display_name(user: AbstractUser) -> str:
    """How pages, agendas and reminders name a person: full name, else username."""
    return user.get_full_name() or user.username


def org_members(org: Organization, *, active_only: bool = True) -> QuerySet[User]:
    """The people who count as the organisation's members: whoever has a membership and, unless
    asked otherwise, an active account. Forms offer them, services and the API accept them as
    owners and leads; a deactivated account keeps its history but takes on nothing new."""
    members = get_user_model().objects.filter(memberships__organization=org)
    if active_only:
        members = members.filter(is_active=True)
    return members.order_by("first_name", "last_name", "username")


def team_list(*, org: Organization) -> QuerySet[Team]:
    """The organisation's teams by name; the queryset keeps the organisation filter, so it can
    be evaluated after the scope is left (a form renders it later)."""
    with org_scope(org):
        return Team.objects.all()


def memberships_of(user: User) -> list[Membership]:
    """Every organisation the user belongs to: the one cross-tenant read, about the user."""
    with scopes_disabled():
        return list(Membership.objects.filter(user=user).select_related("organization"))


def api_key_list(*, org: Organization) -> list[ApiKey]:
    """The organisation's keys; each carries `owner_in_charge` (False: suspended, its owner is
    no longer an active admin here), read in one query for all."""
    with org_scope(org):
        keys = list(ApiKey.objects.select_related("created_by", "owner"))
    for key in keys:  # an admin page with a handful of keys: a query each is fine
        key.owner_in_charge = api_key_owner_in_charge(key)  # type: ignore[attr-defined]
    return keys


def api_key_owner_in_charge(key: ApiKey) -> bool:
    """A key works only while its owner is an active admin of the key's organisation."""
    if key.owner_id is None:
        return False
    with scopes_disabled():
        membership = (
            Membership.objects.select_related("user")
            .filter(organization_id=key.organization_id, user_id=key.owner_id)
            .first()
        )
    return membership is not None and membership.user.is_active and is_admin(membership)


def api_key_get(*, org: Organization, key_id: uuid.UUID | str) -> ApiKey:
    with org_scope(org):
        return get_or_404(ApiKey.objects.all(), key_id, "API key")
