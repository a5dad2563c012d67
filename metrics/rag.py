"""Red/amber/green: how a value compares with its target's thresholds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

from metrics.models import Direction, Rag, Target

# Worst first: the order a roll-up of several statuses reads them in. Keyed by str, as Rag
# members are: a status read back from the database or a request is a plain string.
RAG_ORDER: dict[str, int] = {Rag.RED: 0, Rag.AMBER: 1, Rag.GREEN: 2, Rag.NONE: 3}


def default_thresholds(value: float, direction: str) -> tuple[float, float]:
    """Green at the target; amber within 10% of it on the wrong side."""
    slack = abs(value) * 0.1
    amber = value - slack if direction == Direction.HIGHER else value + slack
    return value, amber


def rag_status(value: float | None, target: Target | None, direction: str) -> Rag:
    if value is None or target is None:
        return Rag.NONE
    return rag_between(value, target.green_threshold, target.amber_threshold, direction)


def rag_between(value: float, green: float, amber: float, direction: str) -> Rag:
    """A value against a green and an amber threshold, read in the KPI's direction."""
    if direction == Direction.HIGHER:
        if value >= green:
            return Rag.GREEN
        return Rag.AMBER if value >= amber else Rag.RED
    if value <= green:
        return Rag.GREEN
    return Rag.AMBER if value <= amber else Rag.RED


def variance(value: float | None, target: Target | None) -> float | None:
    """Actual minus target, as a fraction of the target (None when it cannot be computed)."""
    if value is None or target is None or target.value == 0:
        return None
    return (value - target.value) / abs(target.value)


def favourable(value: float | None, target: float | None, direction: str) -> bool | None:
    """Whether a value is on the good side of its target for the KPI's direction (None: no
    value or no target; a value exactly on target is favourable)."""
    if value is None or target is None:
        return None
    return value >= target if direction == Direction.HIGHER else value <= target


def attainment(value: float | None, target: float | None, direction: str) -> float | None:
    """How much of its target a value reaches, OKR-style on 0–1 (1 at or past the target): the
    share of the target for a higher-is-better KPI, the target over the value for a
    lower-is-better one. None without a value, a target, or a target it can be a share of."""
    if value is None or target is None or target <= 0:
        return None
    share = (
        value / target if direction == Direction.HIGHER else (target / value if value > 0 else 1)
    )
    return min(1.0, max(0.0, share))


def worst_rag(rags: Iterable[str]) -> Rag:
    """The worst of several statuses; none at all reads as no data."""
    return Rag(min(rags, key=RAG_ORDER.__getitem__, default=Rag.NONE))


# The roll-up rule: how an objective, a priority or a perspective reads from its KPIs. Each KPI
# with data scores 1 on target, ROLLUP_AMBER_CREDIT at risk, 0 off target; a key KPI counts
# ROLLUP_KEY_WEIGHT times. The group is on target when its weighted score is at least
# ROLLUP_GREEN, at risk from ROLLUP_AMBER, off target below; a group none of whose KPIs has data
# has no data. So one KPI at risk reads at risk (not off target), nine on target and one off
# read on target. The share of KPIs on target and the worst single KPI are shown beside it,
# never instead of it: a map that is red whenever one KPI of twenty is red stops being read.
ROLLUP_GREEN = 0.7
ROLLUP_AMBER = 0.4
ROLLUP_AMBER_CREDIT = 0.5
ROLLUP_KEY_WEIGHT = 2


@dataclass(frozen=True)
class Rollup:
    rag: Rag
    on_target: float | None  # the weighted share of KPIs with data that are on target
    worst: Rag
    counts: dict[str, int]  # KPIs by status, unweighted
    score: float | None = None  # the weighted score the status is read from (0–1)

    @property
    def rag_label(self) -> str:
        return Rag(self.rag).label

    @property
    def worst_label(self) -> str:
        return Rag(self.worst).label

    @property
    def total(self) -> int:
        return sum(self.counts.values())


def rollup(statuses: Iterable[tuple[str, bool]]) -> Rollup:
    """The group's status from its KPIs' (status, is key) pairs, by the roll-up rule above."""
    pairs = list(statuses)
    counts = Counter(rag for rag, _ in pairs)
    weights = {True: ROLLUP_KEY_WEIGHT, False: 1}
    with_data = [(rag, weights[key]) for rag, key in pairs if rag != Rag.NONE]
    total = sum(weight for _, weight in with_data)
    if not total:
        return Rollup(Rag.NONE, None, worst_rag(counts), _all_counts(counts))
    share = sum(weight for rag, weight in with_data if rag == Rag.GREEN) / total
    credit: dict[str, float] = {Rag.GREEN: 1.0, Rag.AMBER: ROLLUP_AMBER_CREDIT}
    score = sum(weight * credit.get(rag, 0.0) for rag, weight in with_data) / total
    rag = Rag.GREEN if score >= ROLLUP_GREEN else Rag.AMBER if score >= ROLLUP_AMBER else Rag.RED
    return Rollup(rag, share, worst_rag(r for r, _ in with_data), _all_counts(counts), score)


def _all_counts(counts: Counter) -> dict[str, int]:
    return {str(rag): counts.get(rag, 0) for rag in (Rag.GREEN, Rag.AMBER, Rag.RED, Rag.NONE)}
