"""Does a lead KPI predict its lag KPI? Lagged cross-correlation with a permutation test.

Both series are put on the coarser of their two cadences (the finer one aggregated the way its
KPI says: sum, read per sub-period so the calendar adds nothing, average, last, min, max),
aligned on their common periods, and differenced, so two series that merely trend together do
not correlate by accident. The lead's differences are
then prewhitened (an AR(1) filter fitted to them, applied to both): what remains of the lead is
close to white noise, so shuffling it is a fair picture of "no relation", and a smooth lead
cannot manufacture a correlation at every lag. The cross-correlation r(k) of lead at t−k with
lag at t is read for k = 0..12; the statistic is max |r(k)|, and its p-value comes from the same
maximum over PERMUTATIONS shuffles of the lead (seeded): the test of the best lag survives the
13 lags looked at, since every shuffle gets to pick its best lag too.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np

from metrics.forecasting.series import periods_between, regular_series
from metrics.models import Aggregation, LinkVerdict
from perfmgmt.periods import Cadence, cadence_length_days, cadence_period_start

MAX_LAG = 12
PERMUTATIONS = 999
SEED = 17  # fixed: the same values give the same p-value on every run
ALPHA = 0.05
MIN_STRENGTH = 0.3  # |r| below this is too weak to act on, however significant
MIN_POINTS = 12  # aligned, differenced periods needed before anything is claimed
MIN_PAIRS = 8  # pairs needed at a lag for its correlation to be read

_AGGREGATE: dict[str, Callable[[np.ndarray], float]] = {
    # A sum as its mean per sub-period: a month holds four or five Mondays, and summing them as
    # they come would give every weekly KPI the same calendar rhythm to correlate on. (The
    # correlation does not see the constant factor between the two.)
    Aggregation.SUM: lambda values: float(np.mean(values)),
    Aggregation.AVERAGE: lambda values: float(np.mean(values)),
    Aggregation.LAST: lambda values: float(values[-1]),
    Aggregation.MIN: lambda values: float(np.min(values)),
    Aggregation.MAX: lambda values: float(np.max(values)),
}
# Expected sub-periods per coarse period, and how many must be present for it to count.
_PER_COARSE = {
    (Cadence.WEEKLY, Cadence.MONTHLY): 4,
    (Cadence.WEEKLY, Cadence.QUARTERLY): 13,
    (Cadence.MONTHLY, Cadence.QUARTERLY): 3,
}

Points = Iterable[tuple[dt.date, float, str]]


def coarser(first: str, second: str) -> str:
    return first if cadence_length_days(first) >= cadence_length_days(second) else second


def resample(
    points: Points, cadence: str, to: str, aggregation: str
) -> list[tuple[dt.date, float, str]]:
    """The values of a `cadence` KPI as `to`-cadence periods, aggregated by `aggregation` (a
    sum as its mean per sub-period, see _AGGREGATE); a coarse period with fewer than half of
    its sub-periods is left out."""
    if cadence == to:
        return [(day, float(value), grade) for day, value, grade in points]
    buckets: dict[dt.date, list[tuple[dt.date, float]]] = defaultdict(list)
    for day, value, _grade in points:
        if math.isfinite(value):
            buckets[cadence_period_start(to, day)].append((day, float(value)))
    needed = math.ceil(_PER_COARSE[(Cadence(cadence), Cadence(to))] / 2)
    aggregate = _AGGREGATE[Aggregation(aggregation)]
    out = []
    for start, rows in sorted(buckets.items()):
        if len(rows) >= needed:
            rows.sort()
            out.append((start, aggregate(np.array([v for _, v in rows])), "reconciled"))
    return out


def _aligned(
    lead: Sequence[tuple[dt.date, float, str]],
    lag: Sequence[tuple[dt.date, float, str]],
    cadence: str,
) -> tuple[np.ndarray, np.ndarray]:
    a, b = regular_series(lead, cadence), regular_series(lag, cadence)
    if a.start is None or b.start is None or a.last_date is None or b.last_date is None:
        return np.zeros(0), np.zeros(0)
    start, end = max(a.start, b.start), min(a.last_date, b.last_date)
    if end < start:
        return np.zeros(0), np.zeros(0)

    def window(series_start: dt.date, values: np.ndarray) -> np.ndarray:
        first = periods_between(cadence, series_start, start)
        return values[first : first + periods_between(cadence, start, end) + 1]

    return window(a.start, a.values), window(b.start, b.values)


def _prewhiten(x: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    if x.shape[0] < 3 or np.std(x) == 0:
        return x, y
    phi = float(np.corrcoef(x[1:], x[:-1])[0, 1])
    if not math.isfinite(phi):
        return x, y
    phi = max(-0.95, min(0.95, phi))
    return x[1:] - phi * x[:-1], y[1:] - phi * y[:-1]


def _zscore(a: np.ndarray) -> np.ndarray:
    """Standardised along the last axis; a constant row stays zero (it correlates with nothing)."""
    centred = a - a.mean(axis=-1, keepdims=True)
    spread = np.sqrt((centred**2).mean(axis=-1, keepdims=True))
    scaled: np.ndarray = np.divide(
        centred, spread, out=np.zeros_like(centred), where=spread > 1e-12
    )
    return scaled


def cross_correlations(x: np.ndarray, y: np.ndarray, lags: Sequence[int]) -> np.ndarray:
    """r(k) of x at t−k with y at t, for each k; x may be a stack of rows (permutations)."""
    n = y.shape[0]
    out = []
    for k in lags:
        out.append((_zscore(x[..., : n - k]) * _zscore(y[k:])).mean(axis=-1))
    return np.stack(out, axis=-1)


@dataclass(frozen=True)
class LinkTest:
    verdict: str
    cadence: str
    n_points: int
    best_lag: int | None = None
    correlation: float | None = None
    p_value: float | None = None
    correlations: dict[int, float] = field(default_factory=dict)
    note: str = ""


def _test(
    x: np.ndarray, y: np.ndarray, cadence: str, lags: Sequence[int], permutations: int, seed: int
) -> LinkTest:
    n = y.shape[0]
    usable = [k for k in lags if n - k >= MIN_PAIRS]
    if n < MIN_POINTS or not usable:
        return LinkTest(
            LinkVerdict.NOT_ENOUGH_DATA,
            cadence,
            n,
            note=f"{n} aligned periods of change; at least {MIN_POINTS} are needed.",
        )
    observed = cross_correlations(x, y, usable)
    best = int(np.argmax(np.abs(observed)))
    statistic = float(abs(observed[best]))
    rng = np.random.default_rng(seed)
    shuffled = rng.permuted(np.tile(x, (permutations, 1)), axis=1)
    maxima = np.abs(cross_correlations(shuffled, y, usable)).max(axis=1)
    p_value = float((1 + np.count_nonzero(maxima >= statistic - 1e-12)) / (permutations + 1))
    lag = usable[best]
    supported = p_value < ALPHA and statistic >= MIN_STRENGTH
    if supported:
        note = f"r = {observed[best]:+.2f} at lag {lag}, p = {p_value:.3f} over {n} periods."
        if lag == 0:
            note += " It moves in the same period: no lead time shown."
    elif p_value < ALPHA:
        note = f"Significant but weak (|r| = {statistic:.2f} < {MIN_STRENGTH})."
    else:
        note = f"No lag 0–{usable[-1]} correlates beyond chance (p = {p_value:.2f})."
    return LinkTest(
        LinkVerdict.SUPPORTED if supported else LinkVerdict.NOT_SUPPORTED,
        cadence,
        n,
        best_lag=lag,
        correlation=float(observed[best]),
        p_value=p_value,
        correlations={k: round(float(r), 4) for k, r in zip(usable, observed, strict=True)},
        note=note,
    )


@dataclass(frozen=True)
class KpiSeries:
    """What the test needs of one KPI: its values, cadence and how its periods add up."""

    points: Sequence[tuple[dt.date, float, str]]
    cadence: str
    aggregation: str = Aggregation.LAST


def prepared(lead: KpiSeries, lag: KpiSeries) -> tuple[np.ndarray, np.ndarray, str]:
    """Both series on the coarser cadence, aligned, differenced and prewhitened."""
    cadence = coarser(lead.cadence, lag.cadence)
    x, y = _aligned(
        resample(lead.points, lead.cadence, cadence, lead.aggregation),
        resample(lag.points, lag.cadence, cadence, lag.aggregation),
        cadence,
    )
    # Correlation is scale-free: on numbers near one no square overflows.
    x, y = (
        changes / ((np.max(np.abs(changes)) if changes.size else 0.0) or 1.0)
        for changes in (np.diff(x), np.diff(y))
    )
    x, y = _prewhiten(x, y)
    return x, y, cadence


def lead_lag_test(
    lead: KpiSeries,
    lag: KpiSeries,
    *,
    max_lag: int = MAX_LAG,
    permutations: int = PERMUTATIONS,
    seed: int = SEED,
) -> LinkTest:
    """Whether `lead` predicts `lag` (lags 0..max_lag, in periods of the coarser cadence)."""
    x, y, cadence = prepared(lead, lag)
    return _test(x, y, cadence, range(max_lag + 1), permutations, seed)


@dataclass(frozen=True)
class LeadSuggestion:
    kpi_id: object
    best_lag: int
    correlation: float
    p_value: float
    n_points: int


def lead_candidates(
    lag: KpiSeries,
    others: Mapping[object, KpiSeries],
    *,
    declared: Mapping[object, LinkTest],
    permutations: int = 499,
    seed: int = SEED,
) -> list[LeadSuggestion]:
    """Other KPIs that predict `lag` better than its declared leads do: supported at a lag of
    at least one period (a lead must come first), with a false-discovery rate of ALPHA over
    all candidates tried (Benjamini–Hochberg: forty KPIs tried at 5 % would otherwise find two
    by chance), and stronger than the best supported declared lead. Suggestions only."""
    bar = max(
        (
            abs(t.correlation or 0.0)
            for t in declared.values()
            if t.verdict == LinkVerdict.SUPPORTED
        ),
        default=0.0,
    )
    tried: list[tuple[object, LinkTest]] = []
    for kpi_id, series in others.items():
        if kpi_id in declared:
            continue
        x, y, cadence = prepared(series, lag)
        if y.shape[0] < MIN_POINTS:
            continue
        lags = [k for k in range(1, MAX_LAG + 1) if y.shape[0] - k >= MIN_PAIRS]
        # Screen before shuffling: a candidate whose best |r| cannot clear the bar is not
        # worth a permutation test (it is still counted in the false-discovery correction).
        observed = np.abs(cross_correlations(x, y, lags)).max() if lags else 0.0
        if observed < max(bar, MIN_STRENGTH):
            tried.append((kpi_id, LinkTest(LinkVerdict.NOT_SUPPORTED, cadence, y.shape[0])))
            continue
        tried.append((kpi_id, _test(x, y, cadence, lags, permutations, seed)))
    ranked = sorted((p, i) for i, (_, t) in enumerate(tried) if (p := t.p_value) is not None)
    cutoff = 0.0
    for rank, (p, _) in enumerate(ranked, start=1):
        if p <= ALPHA * rank / max(len(tried), 1):
            cutoff = p
    suggestions = [
        LeadSuggestion(kpi_id, t.best_lag or 0, t.correlation or 0.0, t.p_value or 1.0, t.n_points)
        for kpi_id, t in tried
        if t.p_value is not None
        and t.p_value <= cutoff
        and abs(t.correlation or 0.0) >= max(bar, MIN_STRENGTH)
        and (t.best_lag or 0) >= 1
    ]
    return sorted(suggestions, key=lambda s: -abs(s.correlation))
