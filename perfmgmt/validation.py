"""Small helpers services use to reject bad input with an error naming the field."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

from perfmgmt.models import Organization


def ensure_same_org(org: Organization, **objects: models.Model | None) -> None:
    """A related object from another organisation is reported like a missing one."""
    errors = {
        field: "No such object in this organisation."
        for field, obj in objects.items()
        if obj is not None and getattr(obj, "organization_id", None) != org.pk
    }
    if errors:
        raise ValidationError(errors)


def ensure_allowed(allowed: bool, message: str = "Your role does not allow this.") -> None:
    if not allowed:
        raise PermissionDenied(message)


def validated_save(org: Organization, instance: models.Model) -> None:
    """Validate (fields, choices, constraints) and save, inside the organisation's scope so the
    uniqueness checks query the scoped managers."""
    from perfmgmt.tenancy import org_scope

    with org_scope(org):
        instance.full_clean()
        instance.save()


def ensure_members(org: Organization, **users: Any) -> None:
    """People named on a tenant object (owners, leads) must belong to its organisation."""
    from perfmgmt.models import Membership

    named = {field: user for field, user in users.items() if user is not None}
    if not named:
        return
    member_ids = set(
        Membership.objects.with_scope(organization=org)
        .filter(user__in=named.values())
        .values_list("user_id", flat=True)
    )
    errors = {
        field: "This person is not a member of the organisation."
        for field, user in named.items()
        if user.pk not in member_ids
    }
    if errors:
        raise ValidationError(errors)
