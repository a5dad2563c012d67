"""Small helpers services use to reject bad input with an error naming the field."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models

from perfmgmt.models import Membership, Organization
from perfmgmt.permissions import is_admin
from perfmgmt.selectors import org_members
from perfmgmt.tenancy import org_scope


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


def ensure_admin(actor: Membership, what: str = "do this") -> None:
    """Admin-only work, refused with one sentence: "Only admins <what>."."""
    ensure_allowed(is_admin(actor), f"Only admins {what}.")


def validate(org: Organization, instance: models.Model) -> None:
    """Validate (fields, choices, constraints) without saving, inside the organisation's scope so
    the uniqueness checks query the scoped managers. For a service that decides what to do
    with a valid instance (save it, or notice nothing changed)."""
    with org_scope(org):
        instance.full_clean()


def validated_save(org: Organization, instance: models.Model) -> None:
    """`validate`, then save in the same scope."""
    with org_scope(org):
        validate(org, instance)
        instance.save()


def ensure_members(org: Organization, **users: Any) -> None:
    """People named on a tenant object (owners, leads) must be members (`org_members`)."""
    named = {field: user for field, user in users.items() if user is not None}
    if not named:
        return
    member_ids = set(
        org_members(org).filter(pk__in=[u.pk for u in named.values()]).values_list("pk", flat=True)
    )
    errors = {
        field: "This person is not a member of the organisation."
        for field, user in named.items()
        if user.pk not in member_ids
    }
    if errors:
        raise ValidationError(errors)


# The window of dates and timestamps any input may carry. Outside it a value is a typing mistake
# (year 0001, 9999) that PostgreSQL would store but Python could not read back or step past.
EARLIEST_DATE = dt.date(1900, 1, 1)
LATEST_DATE = dt.date(2199, 12, 31)


def ensure_date_in_window(value: dt.date) -> None:
    """Raise ValueError for a date (or a date-time, compared in UTC) outside the window."""
    message = f"must lie between {EARLIEST_DATE} and {LATEST_DATE}"
    try:
        day = value.astimezone(dt.UTC).date() if isinstance(value, dt.datetime) else value
    except OverflowError as exc:  # 0001-01-01T00:00+01:00 is a day before year 1 in UTC
        raise ValueError(message) from exc
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(message)
