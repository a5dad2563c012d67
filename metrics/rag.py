"""Red/amber/green: how a value compares with its target's thresholds."""

from __future__ import annotations

from collections.abc import Iterable

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


def worst_rag(rags: Iterable[str]) -> Rag:
    """The worst of several statuses; none at all reads as no data."""
    return Rag(min(rags, key=RAG_ORDER.__getitem__, default=Rag.NONE))
