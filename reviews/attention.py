"""What needs attention: the one definition read by the exceptions list, the dashboards and the
review agenda.

A KPI needs attention when it is red, off target two periods running, deteriorating (each of
its last three values worse than the one before) or stale (no value for its last period); an
objective running today when its latest check-in reported low confidence. Each page presents
these its own way (the exceptions list as rows, the agenda as JSON stored on the meeting), but
neither decides what counts: they ask here, and name each kind with its label.

The attention score ranks them: each kind that fires for a KPI (the ones above, and the
foresight signals: its forecast misses the period's target, a declared lead KPI deteriorates,
its target was moved during the period, most of its recent numbers are estimates, the owner's
last check-in on its objective reported low confidence) adds its weight from
settings.ATTENTION_WEIGHTS; an objective adds its own (low confidence, the check-in's story
disagreeing with its KPIs) to the highest score among its KPIs. Every signal keeps a sentence
saying why it fired, so a page can show the reasons with the rank.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import models

from metrics.forecasting.outlook import Outlook
from metrics.forecasting.selectors import kpi_outlooks
from metrics.formats import day_label, fmt_run, fmt_value
from metrics.models import Confidence, KpiLink, Rag
from metrics.rag import attainment
from metrics.selectors import (
    KpiStatus,
    Reading,
    kpi_statuses,
    kpis_with_target_moved,
    recent_values,
)
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
    FORECAST_MISS = "forecast_miss", "Forecast to miss target"
    LEAD_DETERIORATING = "lead_deteriorating", "Lead KPI deteriorating"
    STORY_DISAGREES = "story_disagrees", "Check-in and numbers disagree"
    TARGET_MOVED = "target_moved", "Target moved this period"
    ESTIMATES = "estimates", "Mostly estimates"


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


# --- the attention score -----------------------------------------------------------------------

# "Mostly estimates": more than half of a KPI's last ESTIMATE_WINDOW values graded estimate.
ESTIMATE_WINDOW = 3
# The story and the numbers disagree when the latest check-in says on track while a KPI of the
# objective is red, or reports progress ahead of its KPIs' attainment by at least STORY_GAP.
STORY_GAP = 0.3


def weight(kind: str) -> float:
    return float(settings.ATTENTION_WEIGHTS.get(str(kind), 0.0))


@dataclass(frozen=True)
class Signal:
    kind: Kind
    points: float
    detail: str = ""  # why it fired, in words ("" for the kinds a page describes itself)

    @property
    def label(self) -> str:
        return Kind(self.kind).label


@dataclass(frozen=True)
class Score:
    signals: tuple[Signal, ...] = ()

    @property
    def total(self) -> float:
        return round(sum(signal.points for signal in self.signals), 2)

    @property
    def why(self) -> str:
        """The signals that fired, heaviest first: "Lead KPI deteriorating (2.5), Stale (1)"."""
        ranked = sorted(self.signals, key=lambda s: -s.points)
        return ", ".join(f"{s.label} ({s.points:g})" for s in ranked)


def _signal(kind: Kind, detail: str = "", share: float = 1.0) -> Signal:
    return Signal(kind, round(weight(kind) * share, 2), detail)


def _run(values: Sequence[float], unit: str) -> str:
    return fmt_run(values[:DETERIORATING_RUN][::-1], unit)


def kpi_scores(
    *, org: Organization, statuses: Sequence[KpiStatus], today: dt.date | None = None
) -> dict[uuid.UUID, Score]:
    """The attention score of each KPI among `statuses` (each read with at least
    DETERIORATING_RUN values of history), with the signals that fired; a fixed number of
    queries whatever the number of KPIs."""
    today = today or org_today(org)
    statuses = list(statuses)
    by_id = {s.kpi.pk: s for s in statuses}
    ids = list(by_id)
    outlooks = kpi_outlooks(org=org, kpis=[s.kpi for s in statuses], today=today)
    moved = kpis_with_target_moved(org=org, kpi_ids=ids, day=today)
    with org_scope(org):
        links = list(KpiLink.objects.filter(lag_id__in=ids).select_related("lead"))
    leads_read = {pk: [r.value for r in s.history] for pk, s in by_id.items()}
    missing = [link.lead_id for link in links if link.lead_id not in leads_read]
    for pk, readings in recent_values(org=org, kpi_ids=missing, per_kpi=DETERIORATING_RUN).items():
        leads_read[pk] = [r.value for r in readings]
    checkins = latest_checkins(
        org=org, objective_ids=list({s.kpi.objective_id for s in statuses if s.kpi.objective_id})
    )
    leads: dict[uuid.UUID, list[Signal]] = {}
    for link in links:
        values = leads_read.get(link.lead_id, [])
        if deteriorating(values, link.lead.direction):
            leads.setdefault(link.lag_id, []).append(
                _signal(
                    Kind.LEAD_DETERIORATING,
                    f"its lead {link.lead.name} is worse three periods running: "
                    + _run(values, link.lead.unit),
                )
            )
    scores = {}
    for pk, status in by_id.items():
        values = [r.value for r in status.history]
        signals = [_signal(kind) for kind in kpi_kinds(status, values)]
        outlook = outlooks.get(pk)
        if (
            outlook is not None
            and not outlook.observed
            and outlook.probability is not None
            and outlook.outlook in (Outlook.WILL_MISS, Outlook.AT_RISK)
        ):
            signals.append(
                _signal(
                    Kind.FORECAST_MISS,
                    f"{outlook.outlook_label.lower()}: forecast "
                    f"{fmt_value(outlook.projected, status.kpi.unit)}"
                    f" for the period end, a {outlook.probability:.0%} chance of meeting the"
                    " target",
                    share=1.0 - outlook.probability,
                )
            )
        signals += leads.get(pk, [])
        if (change := moved.get(pk)) is not None:
            unit = status.kpi.unit
            old, new = change.old_value, change.new_value
            signals.append(
                _signal(
                    Kind.TARGET_MOVED,
                    f"target moved on {day_label(change.change.at)} by {change.change.actor}"
                    + (
                        f" from {fmt_value(old, unit)} to {fmt_value(new, unit)}"
                        if old is not None and new is not None
                        else ""
                    ),
                )
            )
        grades = [r.confidence for r in status.history[:ESTIMATE_WINDOW]]
        if grades and sum(g == Confidence.ESTIMATE for g in grades) * 2 > len(grades):
            signals.append(
                _signal(
                    Kind.ESTIMATES,
                    f"{grades.count(Confidence.ESTIMATE)} of its last "
                    f"{len(grades)} values are estimates",
                )
            )
        checkin = checkins.get(status.kpi.objective_id)
        if checkin is not None and checkin.is_low_confidence:
            signals.append(
                _signal(
                    Kind.LOW_CONFIDENCE,
                    f"its objective's last check-in reported confidence {checkin.confidence}/10",
                )
            )
        scores[pk] = Score(tuple(signals))
    return scores


def objective_attainment(statuses: Iterable[KpiStatus]) -> float | None:
    """An objective's progress computed from its KPIs, OKR-style: the mean attainment (0–1) of
    those with a value and a target; None when none has both."""
    found = [
        a
        for s in statuses
        if (
            a := attainment(
                s.latest.value if s.latest else None,
                s.target.value if s.target else None,
                s.kpi.direction,
            )
        )
        is not None
    ]
    return sum(found) / len(found) if found else None


@dataclass(frozen=True)
class ObjectiveAttention:
    objective: Objective
    checkin: CheckIn | None
    computed_progress: float | None  # from its KPIs' attainment, 0–1
    score: Score
    top_kpi: float  # the highest score among its KPIs (part of the total)

    @property
    def total(self) -> float:
        return round(self.score.total + self.top_kpi, 2)


def story_disagrees(
    checkin: CheckIn, statuses: Sequence[KpiStatus], computed: float | None
) -> bool:
    """The check-in's story (on track, or its reported progress) against its KPIs' numbers."""
    if checkin.status == "on_track" and any(s.rag == Rag.RED for s in statuses):
        return True
    return computed is not None and checkin.progress / 100 - computed >= STORY_GAP


def objective_scores(
    *,
    org: Organization,
    statuses: Sequence[KpiStatus],
    scores: dict[uuid.UUID, Score],
    team: Team | None = None,
    today: dt.date | None = None,
) -> list[ObjectiveAttention]:
    """Objectives running today (of one team, if given) with their attention: their own
    signals (low confidence, the story disagreeing with the numbers) and their KPIs' highest
    score; highest first. `statuses` and `scores` (from kpi_scores) cover their KPIs."""
    running = objectives_running(org=org, start=today or org_today(org))
    if team is not None:
        running = running.filter(team=team)
    objectives = list(running.select_related("owner", "team"))
    latest = latest_checkins(org=org, objective_ids=[o.pk for o in objectives])
    by_objective: dict[uuid.UUID, list[KpiStatus]] = {}
    for status in statuses:
        if status.kpi.objective_id:
            by_objective.setdefault(status.kpi.objective_id, []).append(status)
    found = []
    for objective in objectives:
        own = by_objective.get(objective.pk, [])
        computed = objective_attainment(own)
        checkin = latest.get(objective.pk)
        signals = []
        if checkin is not None and checkin.is_low_confidence:
            signals.append(_signal(Kind.LOW_CONFIDENCE))
        if checkin is not None and story_disagrees(checkin, own, computed):
            numbers = (
                f"its KPIs reach {computed:.0%} of target"
                if computed is not None
                else ("a KPI is off target")
            )
            signals.append(
                _signal(
                    Kind.STORY_DISAGREES,
                    f"check-in says {checkin.get_status_display().lower()}, "
                    f"{checkin.progress} % done; {numbers}",
                )
            )
        top = max((scores[s.kpi.pk].total for s in own if s.kpi.pk in scores), default=0.0)
        found.append(ObjectiveAttention(objective, checkin, computed, Score(tuple(signals)), top))
    found.sort(key=lambda o: (-o.total, o.objective.title))
    return found


@dataclass(frozen=True)
class ProgressCompare:
    """An objective's progress as its owner reported it beside what its KPIs' numbers say."""

    reported: int | None  # percent, from the latest check-in
    computed: float | None  # 0–1, the mean attainment of its KPIs
    kpis: list[tuple[KpiStatus, float | None]]  # each KPI with its attainment
    checkin: CheckIn | None
    disagrees: bool


def objective_progress(*, org: Organization, objective: Objective) -> ProgressCompare:
    """The story and the numbers of one objective, side by side (story_disagrees decides)."""
    with org_scope(org):
        kpis = list(objective.kpis.all())
    statuses = list(kpi_statuses(org=org, kpis=kpis).values())
    checkin = latest_checkins(org=org, objective_ids=[objective.pk]).get(objective.pk)
    computed = objective_attainment(statuses)
    rows = [
        (
            s,
            attainment(
                s.latest.value if s.latest else None,
                s.target.value if s.target else None,
                s.kpi.direction,
            ),
        )
        for s in statuses
    ]
    return ProgressCompare(
        reported=checkin.progress if checkin else None,
        computed=computed,
        kpis=rows,
        checkin=checkin,
        disagrees=checkin is not None and story_disagrees(checkin, statuses, computed),
    )
