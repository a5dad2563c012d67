"""Is a number plausible for its KPI? Far outside the KPI's own recent history is worth a second
look before it is stored (a warning the person confirms, never a refusal).

The fences are Tukey's, wide: three interquartile ranges beyond the middle half of the last
values, so a KPI that moves a lot is not nagged. A history with no spread (a flat series) takes
a quarter of its median as its range. Fewer than PLAUSIBLE_MIN_VALUES values say nothing.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass

PLAUSIBLE_MIN_VALUES = 6
FENCE = 3.0


@dataclass(frozen=True)
class Range:
    low: float
    high: float
    seen_low: float  # the history's own extremes, for the message
    seen_high: float

    def holds(self, value: float) -> bool:
        return self.low <= value <= self.high


def plausible_range(history: Sequence[float]) -> Range | None:
    """The range a new value of this history is expected in; None with too little history."""
    if len(history) < PLAUSIBLE_MIN_VALUES:
        return None
    q1, _, q3 = statistics.quantiles(history, n=4)
    spread = q3 - q1 or abs(statistics.median(history)) * 0.25 or 1.0
    return Range(q1 - FENCE * spread, q3 + FENCE * spread, min(history), max(history))
