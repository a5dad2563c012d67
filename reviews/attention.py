"""What needs attention: the one definition read by the exceptions list and the review agenda.

A KPI needs attention when it is red, off target two periods running, deteriorating (each of
its last three values worse than the one before) or stale (no value for its last period); an
objective running today when its latest check-in reported low confidence. Each page presents
these its own way (the exceptions list as rows, the agenda as JSON stored on the meeting), but
neither decides what counts: they ask here, and name each kind with its label.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.db import models

from metrics.models import Rag
from metrics.selectors import KpiStatus, Reading, recent_values
from objectives.models import Objective
from objectives.selectors import objectives_running
from perfmgmt.models import Organization, Team
from perfmgmt.periods import org_today
from perfmgmt.tenancy import org_scope
from reviews.models import CheckIn


class Kind(models.TextChoices):
    """The kinds of attention, in the order pages show them."""

    RED = "red", "Red"
    # Amber or red both times: "off target" alone is the red status's word.
    OFF_TWICE = "off_twice", "Missed target two periods running"
    DETERIORATING = "deteriorating", "Deteriorating"
    STALE = "stale", "Stale"
    LOW_CONFIDENCE = "low_confidence", "Low confidence"


# How many values, newest first, must each be worse than the next for "deteriorating".
DETERIORATING_RUN = 3


def deteriorating(values: Sequence[float], direction: str) -> bool:
    """The last DETERIORATING_RUN values (newest first) each worse than the one before it."""
    if len(values) < DETERIORATING_RUN:
        return False
    run = values[:DETERIORATING_RUN]
    pairs = list(zip(run, run[1:], strict=False))
    if direction == "higher":
        return all(newer < older for newer, older in pairs)
    return all(newer > older for newer, older in pairs)


def kpi_kinds(status: KpiStatus, recent: Sequence[float] = ()) -> list[Kind]:
    """Why one KPI needs attention (empty: it does not). `recent` are its last values, newest
    first."""
    kinds = []
    if status.rag == Rag.RED:
        kinds.append(Kind.RED)
    if status.off_target_twice:
        kinds.append(Kind.OFF_TWICE)
    if deteriorating(recent, status.kpi.direction):
        kinds.append(Kind.DETERIORATING)
    if status.stale:
        kinds.append(Kind.STALE)
    return kinds


@dataclass(frozen=True)
class KpiAttention:
    status: KpiStatus
    kinds: list[Kind]
    recent: list[float]  # its last values, newest first


def recent_for_attention(
    *, org: Organization, kpi_ids: Sequence[uuid.UUID]
) -> dict[uuid.UUID, list[Reading]]:
    """The values `kpi_attention` needs, in one query (kpi_statuses can reuse them)."""
    return recent_values(org=org, kpi_ids=kpi_ids, per_kpi=DETERIORATING_RUN)


def kpi_attention(
    *,
    org: Organization,
    statuses: Iterable[KpiStatus],
    recent: dict[uuid.UUID, list[Reading]] | None = None,
) -> list[KpiAttention]:
    """The KPIs among `statuses` that need attention, in their order, with why. `recent` (from
    recent_for_attention) saves the query when the caller has read it already."""
    statuses = list(statuses)
    if recent is None:
        recent = recent_for_attention(org=org, kpi_ids=[s.kpi.pk for s in statuses])
    found = []
    for status in statuses:
        values = [reading.value for reading in recent.get(status.kpi.pk, [])]
        if kinds := kpi_kinds(status, values):
            found.append(KpiAttention(status, kinds, values))
    return found


def latest_checkins(*, org: Organization, objective_ids: Sequence[uuid.UUID]) -> dict:
    """The most recent check-in of each objective, in one query."""
    with org_scope(org):
        return {
            c.objective_id: c
            for c in CheckIn.objects.filter(objective_id__in=objective_ids)
            .order_by("objective_id", "-week_start")
            .distinct("objective_id")
        }


def low_confidence(
    *, org: Organization, team: Team | None = None, today: dt.date | None = None
) -> list[tuple[Objective, CheckIn]]:
    """Objectives running today (of one team, if given) whose latest check-in reported low
    confidence (CheckIn.is_low_confidence), with that check-in; two queries."""
    running = objectives_running(org=org, start=today or org_today(org))
    if team is not None:
        running = running.filter(team=team)
    objectives = list(running)
    latest = latest_checkins(org=org, objective_ids=[o.pk for o in objectives])
    return [
        (objective, latest[objective.pk])
        for objective in objectives
        if objective.pk in latest and latest[objective.pk].is_low_confidence
    ]
