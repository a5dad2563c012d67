"""Reads for packs: one pack, the list of earlier packs, the months a pack can report."""

from __future__ import annotations

import datetime as dt
import uuid

from django.db.models import QuerySet

from perfmgmt.models import Organization
from perfmgmt.periods import add_months, org_today
from perfmgmt.selectors import get_or_404
from perfmgmt.tenancy import org_scope
from reviews.models import Pack


def pack_get(*, org: Organization, pack_id: uuid.UUID | str) -> Pack:
    with org_scope(org):
        return get_or_404(
            Pack.objects.select_related("requested_by", "presented_by", "presented_meeting"),
            pack_id,
            "pack",
        )


def packs_of(*, org: Organization) -> QuerySet[Pack]:
    """The organisation's packs without their snapshots (lists never show the numbers)."""
    with org_scope(org):
        return Pack.objects.select_related(
            "requested_by", "presented_by", "presented_meeting"
        ).defer("snapshot")


def pack_list(*, org: Organization, limit: int = 50) -> list[Pack]:
    """The newest packs first, for the pack page."""
    with org_scope(org):
        return list(packs_of(org=org).order_by("-created_at")[:limit])


def month_choices(org: Organization, months: int = 24) -> list[dt.date]:
    """The months a pack can report, newest first: this month and the two years before."""
    this_month = org_today(org).replace(day=1)
    return [add_months(this_month, -n) for n in range(months + 1)]
