"""Will a KPI meet its target at period end? The chance, read off the forecast distribution."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Protocol

from django.db import models

from metrics.models import Direction
from perfmgmt.periods import cadence_period_start

# The verdict bands on the probability of meeting the target (documented, not tuned per KPI).
ON_COURSE_FROM = 0.6
WILL_MISS_BELOW = 0.2


class Outlook(models.TextChoices):
    ON_COURSE = "on_course", "On course"
    AT_RISK = "at_risk", "At risk"
    WILL_MISS = "will_miss", "Will miss"
    UNKNOWN = "unknown", "No forecast for the period end"


class PointLike(Protocol):
    """A forecast period: the stored `ForecastPoint` and the pure `selection.ForecastPoint`."""

    @property
    def period_date(self) -> dt.date: ...
    @property
    def value(self) -> float: ...
    @property
    def sd(self) -> float: ...


@dataclass(frozen=True)
class TargetOutlook:
    outlook: str
    probability: float | None  # of meeting the threshold at period end, 0–1
    projected: float | None  # the forecast (or the actual) for the period end
    period_date: dt.date  # the cadence period that stands for the period end
    observed: bool = False  # the period end is already measured: certainty, not a forecast

    @property
    def outlook_label(self) -> str:
        return Outlook(self.outlook).label


def _normal_cdf(z: float) -> float:
    return 0.5 * (1.0 + math.erf(z / math.sqrt(2.0)))


def meet_probability(mean: float, sd: float, threshold: float, direction: str) -> float:
    """P(value at or better than `threshold`) for a normal forecast distribution."""
    if sd <= 0 or not math.isfinite(sd):
        better = mean >= threshold if direction != Direction.LOWER else mean <= threshold
        return 1.0 if better else 0.0
    above = 1.0 - _normal_cdf((threshold - mean) / sd)
    return above if direction != Direction.LOWER else 1.0 - above


def verdict(probability: float) -> str:
    if probability >= ON_COURSE_FROM:
        return Outlook.ON_COURSE
    return Outlook.WILL_MISS if probability < WILL_MISS_BELOW else Outlook.AT_RISK


def target_outlook(
    points: Sequence[PointLike],
    *,
    cadence: str,
    period_end: dt.date,
    threshold: float,
    direction: str,
    actual: float | None = None,
) -> TargetOutlook:
    """The chance that the value of the period holding `period_end` meets `threshold` (the
    target's green threshold, in the KPI's direction). `actual`, when that period is already
    measured, settles it; otherwise the forecast point for the period is read. Without either
    (the period lies before the forecast or beyond its horizon) the outlook is unknown."""
    period = cadence_period_start(cadence, period_end)
    if actual is not None:
        met = meet_probability(actual, 0.0, threshold, direction)
        return TargetOutlook(verdict(met), met, actual, period, observed=True)
    for point in points:
        if point.period_date == period:
            probability = meet_probability(point.value, point.sd, threshold, direction)
            return TargetOutlook(verdict(probability), probability, point.value, period)
    return TargetOutlook(Outlook.UNKNOWN, None, None, period)
