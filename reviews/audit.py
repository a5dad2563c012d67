"""Reading the audit trail (perfmgmt.history) across the floors: an object's history, the
organisation's audit log with its filters, and the two saved views an auditor asks for first —
targets moved while their period ran, and values revised after the review that saw them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db import models

from metrics.models import Kpi, MetricValue
from metrics.selectors import target_moves
from objectives.models import Objective, StrategicPriority
from perfmgmt.history import Change, audit_log, history_of, object_history, tracked_event_models
from perfmgmt.models import Organization
from perfmgmt.tenancy import org_scope
from reviews.models import MeetingKind, ReviewMeeting

VIEWS = {
    "": "Every change",
    "targets-moved": "Targets moved during their period",
    "values-revised": "Values revised after the review",
}
# The objects with a History page, by the kind in its URL.
HISTORY_MODELS: dict[str, type[models.Model]] = {
    "kpi": Kpi,
    "objective": Objective,
    "priority": StrategicPriority,
}


@dataclass(frozen=True)
class AuditFilters:
    view: str = ""
    kind: str = ""  # a tracked model's label, e.g. "metrics.Target"
    user_id: int | None = None
    start: dt.date | None = None
    end: dt.date | None = None


def audit_kinds() -> list[tuple[str, str]]:
    """(label, name) of every kind of object on the trail, by name."""
    return sorted(
        (
            (label, str(m.pgh_tracked_model._meta.verbose_name_plural).capitalize())
            for label, m in tracked_event_models().items()
        ),
        key=lambda pair: pair[1],
    )


def audit_entries(*, org: Organization, filters: AuditFilters, limit: int = 500) -> list[Change]:
    """The organisation's trail through `filters`, newest first."""
    if filters.view == "targets-moved":
        changes = [m.change for m in target_moves(org=org, mid_period_only=True, limit=limit)]
    elif filters.view == "values-revised":
        changes = values_revised_after_review(org=org, limit=limit)
    else:
        return audit_log(
            org=org,
            kinds=[filters.kind] if filters.kind else None,
            user_id=filters.user_id,
            start=filters.start,
            end=filters.end,
            limit=limit,
        )
    return [c for c in changes if _passes(c, filters)]


def _passes(change: Change, filters: AuditFilters) -> bool:
    day = change.at.date()
    return (
        (not filters.kind or change.model == filters.kind)
        and (filters.start is None or day >= filters.start)
        and (filters.end is None or day <= filters.end)
    )


def values_revised_after_review(*, org: Organization, limit: int = 500) -> list[Change]:
    """Updates and deletes of values made after a monthly business review held on or after the
    value's period: the number the review saw is not the number on record any more."""
    with org_scope(org):
        reviews = sorted(
            ReviewMeeting.objects.filter(kind=MeetingKind.MONTHLY).values_list("held_on", flat=True)
        )
    if not reviews:
        return []
    changes = history_of(
        org=org,
        model=MetricValue,
        filters={"pgh_label__in": ["update", "delete"], "period_date__lte": reviews[-1]},
        limit=limit,
    )
    revised = []
    for change in changes:
        seen_at = next((day for day in reviews if day >= change.data["period_date"]), None)
        if seen_at is not None and change.at.date() > seen_at:
            revised.append(change)
    return revised


def history_page(*, org: Organization, kind: str, obj: Any) -> list[Change]:
    """An object's History tab: the object's own trail, and for a KPI its targets' too."""
    changes = object_history(org=org, model=HISTORY_MODELS[kind], object_id=obj.pk)
    if kind == "kpi":
        changes += [m.change for m in target_moves(org=org, kpi_ids=[obj.pk], limit=100)]
        changes.sort(key=lambda c: (c.at, c.event_id), reverse=True)
    return changes
