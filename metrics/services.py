"""Writes and rules for KPIs and targets. Values go through metrics.ingestion."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from metrics.models import Direction, Kpi, KpiKind, KpiLink, KpiPin, Target
from metrics.rag import default_thresholds
from metrics.selectors import as_uuid
from objectives.models import Objective
from perfmgmt.history import actor_context
from perfmgmt.models import Membership, Organization
from perfmgmt.permissions import can_edit_kpi, can_edit_team_work, can_set_target
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import (
    ensure_allowed,
    ensure_members,
    ensure_same_org,
    validate,
    validated_save,
)

KPI_FIELDS = (
    "key",
    "name",
    "description",
    "unit",
    "direction",
    "kind",
    "cadence",
    "aggregation",
    "objective",
    "outcome_owner",
    "data_owner",
    "is_key",
)


@transaction.atomic
def kpi_create(
    *, org: Organization, actor: Membership, drives: Iterable[Kpi] = (), **fields: Any
) -> Kpi:
    return kpi_update(org=org, actor=actor, kpi=Kpi(organization=org), drives=drives, **fields)


@transaction.atomic
def kpi_update(
    *,
    org: Organization,
    actor: Membership,
    kpi: Kpi,
    drives: Iterable[Kpi] | None = None,
    **fields: Any,
) -> Kpi:
    """Create or change a KPI; `drives` (when given) replaces the lag KPIs it predicts."""
    ensure_same_org(org, kpi=kpi, objective=fields.get("objective"))
    unknown = set(fields) - set(KPI_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    ensure_members(
        org, outcome_owner=fields.get("outcome_owner"), data_owner=fields.get("data_owner")
    )
    if not kpi._state.adding:
        # Judge the KPI as stored, not as the caller may already have changed it.
        with org_scope(org):
            stored = Kpi.objects.select_related("objective__team").get(pk=kpi.pk)
        ensure_allowed(can_edit_kpi(actor, stored), "You cannot edit this KPI.")
    key = fields.get("key")
    if key is not None and key != kpi.key and as_uuid(key) is not None:
        # Clients name a KPI by id or key (metrics.selectors.kpis_by_ref); a key that reads
        # as an id could name another KPI.
        raise ValidationError({"key": "A key cannot have the form of an id (a UUID)."})
    for name, value in fields.items():
        setattr(kpi, name, value)
    objective: Objective | None = kpi.objective if kpi.objective_id else None
    ensure_allowed(
        can_edit_team_work(actor, objective.team if objective else None),
        "You can only define KPIs for objectives of a team you lead.",
    )
    validated_save(org, kpi)
    if drives is not None:
        with org_scope(org):
            _set_drives(org, kpi, list(drives))
    return kpi


def _set_drives(org: Organization, kpi: Kpi, lags: list[Kpi]) -> None:
    ensure_same_org(org, **{f"drives[{i}]": lag for i, lag in enumerate(lags)})
    if lags and kpi.kind != KpiKind.LEAD:
        raise ValidationError({"drives": "Only a lead KPI drives lag KPIs."})
    not_lag = [lag.name for lag in lags if lag.kind != KpiKind.LAG]
    if not_lag:
        raise ValidationError({"drives": f"These are not lag KPIs: {', '.join(not_lag)}."})
    KpiLink.objects.filter(lead=kpi).exclude(lag__in=lags).delete()
    existing = set(KpiLink.objects.filter(lead=kpi).values_list("lag_id", flat=True))
    KpiLink.objects.bulk_create(
        [KpiLink(organization=org, lead=kpi, lag=lag) for lag in lags if lag.pk not in existing]
    )


def _target_snapshot(target: Target) -> dict[str, Any]:
    return {
        "value": target.value,
        "green_threshold": target.green_threshold,
        "amber_threshold": target.amber_threshold,
        "period_end": target.period_end.isoformat(),
    }


@transaction.atomic
def target_set(
    *,
    org: Organization,
    actor: Membership,
    kpi: Kpi,
    period_start: dt.date,
    period_end: dt.date,
    value: float,
    green_threshold: float | None = None,
    amber_threshold: float | None = None,
) -> Target:
    """Set the target of a KPI for one period (creating or moving it), audited."""
    ensure_same_org(org, kpi=kpi)
    ensure_allowed(can_set_target(actor, kpi), "You cannot set targets for this KPI.")
    default_green, default_amber = default_thresholds(value, kpi.direction)
    green = default_green if green_threshold is None else green_threshold
    amber = default_amber if amber_threshold is None else amber_threshold
    if kpi.direction == Direction.HIGHER and amber > green:
        raise ValidationError(
            {"amber_threshold": "For higher-is-better, amber must not exceed green."}
        )
    if kpi.direction == Direction.LOWER and amber < green:
        raise ValidationError(
            {"amber_threshold": "For lower-is-better, amber must not be below green."}
        )
    with actor_context(actor), org_scope(org):
        target = Target.objects.filter(kpi=kpi, period_start=period_start).first()
        overlapping = Target.objects.filter(
            kpi=kpi, period_start__lte=period_end, period_end__gte=period_start
        ).exclude(period_start=period_start)
        if overlapping.exists():
            raise ValidationError(
                {"period_start": "Another target of this KPI overlaps the period."}
            )
        old = _target_snapshot(target) if target else None
        target = target or Target(organization=org, kpi=kpi, period_start=period_start)
        target.period_end = period_end
        target.value = value
        target.green_threshold = green
        target.amber_threshold = amber
        validate(org, target)
        new = _target_snapshot(target)
        if old == new:
            return target
        target.save()
    return target


@transaction.atomic
def kpi_pin_toggle(*, org: Organization, actor: Membership, kpi: Kpi) -> bool:
    """Pin or unpin a KPI on one's own dashboard; returns whether it is now pinned."""
    ensure_same_org(org, kpi=kpi, actor=actor)
    with org_scope(org):
        deleted, _ = KpiPin.objects.filter(user=actor.user, kpi=kpi).delete()
        if deleted:
            return False
        KpiPin.objects.create(organization=org, user=actor.user, kpi=kpi)
    return True
