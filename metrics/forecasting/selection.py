"""Which method forecasts a series: each candidate is judged by its own rolling-origin
out-of-sample MASE on that series, from a ladder of candidates by history length.

The ladder: fewer than MIN_POINTS periods, no forecast; fewer than MIN_JUDGED, the naive
forecast, marked as not judged; then naive or seasonal-naive, drift, Theta, exponential
smoothing and damped-trend ETS (and their average, which stands unless a single method beats it
clearly: see PREFER_COMBINED); seasonal ETS only once the data before the first origin holds
two full seasons. Where nothing beats the seasonal-naive baseline on the series, the forecast
says so (`beats_baseline` false) rather than pretend to skill.

Everything is judged on out-of-sample errors only: each origin's forecast is fitted on the
values before it (ETS parameters estimated at the first origin and re-smoothed at the later
ones, see methods.backtest).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

import numpy as np

from metrics.forecasting import methods
from metrics.forecasting.methods import Method, ModelFailed, Path
from metrics.forecasting.series import HORIZON, Series, mase_scale, regular_series

MIN_POINTS = 3  # below this there is no spread to draw a band from
MIN_JUDGED = 8  # below this a rolling-origin comparison would rest on one or two errors
MIN_TRAIN = 6  # the shortest history a candidate is ever fitted on
ORIGINS = 3  # rolling origins per series: few, each fit costs milliseconds
# A few rolling-origin errors rank close methods by chance: on public series, picking the
# lowest MASE every time does worse than the average of the strong methods. So the average
# stands unless a single method beats its MASE by a clear margin on this series.
PREFER_COMBINED = 0.8
Z80 = 1.2815515655446004
Z95 = methods.Z95

# The shortest history (before the first origin) each method is fitted on, by season length.
MIN_HISTORY = {
    Method.NAIVE: lambda m: 2,
    Method.DRIFT: lambda m: 3,
    Method.SEASONAL_NAIVE: lambda m: m + 1,
    Method.THETA: lambda m: MIN_TRAIN,
    Method.SES: lambda m: MIN_TRAIN,
    Method.DAMPED_ETS: lambda m: 10,
    Method.SEASONAL_ETS: lambda m: 2 * m,
}


def baseline_method(n: int, m: int) -> str:
    """Seasonal naive once a full season is known; the plain naive forecast before that."""
    return Method.SEASONAL_NAIVE if m > 1 and n > m else Method.NAIVE


def ladder(n: int, m: int) -> list[str]:
    """The candidates for a series with `n` points before its first rolling origin."""
    if m > 1 and n >= 2 * m:
        rung = [
            Method.SEASONAL_NAIVE,
            Method.DRIFT,
            Method.THETA,
            Method.SES,
            Method.DAMPED_ETS,
            Method.SEASONAL_ETS,
        ]
    else:
        rung = [
            Method.NAIVE,
            Method.SEASONAL_NAIVE,
            Method.DRIFT,
            Method.THETA,
            Method.SES,
            Method.DAMPED_ETS,
        ]
    return [method for method in rung if n >= MIN_HISTORY[method](m)]


def rolling_origins(n: int, m: int, h: int, count: int = ORIGINS) -> tuple[list[int], int]:
    """Origins (indices where each test forecast starts) and the steps judged from each: up
    to a season (or the horizon, if shorter) and never more than a quarter of the history."""
    steps = max(1, min(h, m, n // 4))
    spacing = max(1, steps // count)
    origins = [n - steps - spacing * k for k in reversed(range(count))]
    return [origin for origin in origins if origin >= MIN_TRAIN], steps


@dataclass(frozen=True)
class Choice:
    method: str
    judged: bool
    mase: float | None
    baseline: str
    baseline_mase: float | None
    candidates: dict[str, float] = field(default_factory=dict)
    failed: dict[str, str] = field(default_factory=dict)

    @property
    def beats_baseline(self) -> bool:
        return (
            self.judged
            and self.method != self.baseline
            and self.mase is not None
            and self.baseline_mase is not None
            and self.mase < self.baseline_mase
        )


def choose(y: np.ndarray, m: int, h: int, *, origins: int = ORIGINS) -> Choice:
    """The candidate with the lowest rolling-origin MASE on `y` (ties: the earlier, simpler)."""
    n = y.shape[0]
    starts, steps = rolling_origins(n, m, h, origins)
    # The baseline is judged on the same footing as the rest: what was known at the first origin.
    baseline = baseline_method(starts[0] if starts else n, m)
    if n < MIN_JUDGED or not starts:
        return Choice(Method.NAIVE, False, None, baseline, None)
    scale = mase_scale(y, m)
    actual = [y[start : start + steps] for start in starts]
    scores: dict[str, float] = {}
    paths: dict[str, list[np.ndarray]] = {}
    failed: dict[str, str] = {}
    for method in ladder(starts[0], m):
        try:
            paths[method] = methods.backtest(method, y, starts, steps, m)
        except ModelFailed as exc:
            failed[method] = str(exc)
    if all(part in paths for part in methods.COMBINED_PARTS):
        paths[Method.COMBINED] = [
            np.mean([paths[part][i] for part in methods.COMBINED_PARTS], axis=0)
            for i in range(len(starts))
        ]
    for method, forecasts in paths.items():
        errors = np.concatenate(
            [np.abs(a - f[: a.shape[0]]) for a, f in zip(actual, forecasts, strict=True)]
        )
        scores[method] = float(np.mean(errors) / scale)
    if not scores:
        return Choice(Method.NAIVE, False, None, baseline, None, failed=failed)
    best = min(scores, key=scores.__getitem__)
    combined = scores.get(Method.COMBINED)
    if combined is not None and scores[best] >= PREFER_COMBINED * combined:
        best = Method.COMBINED
    return Choice(best, True, scores[best], baseline, scores.get(baseline), scores, failed)


@dataclass(frozen=True)
class ForecastPoint:
    period_date: dt.date
    horizon: int
    value: float
    sd: float
    lo80: float
    hi80: float
    lo95: float
    hi95: float


@dataclass(frozen=True)
class SeriesForecast:
    """A forward view of one series, with how its method was chosen and how sure it is."""

    cadence: str
    method: str
    origin: dt.date | None  # the last period with a value: the forecast starts after it
    n_points: int
    gaps: int
    season_length: int
    judged: bool
    mase: float | None  # the chosen method's rolling-origin MASE on this series
    baseline: str
    baseline_mase: float | None
    beats_baseline: bool
    scale: float  # the MASE denominator, kept to score this forecast against what happens
    widening: float  # how much weak confidence grades widened the band
    candidates: dict[str, float]
    failed: dict[str, str]
    points: tuple[ForecastPoint, ...]
    note: str

    @property
    def method_label(self) -> str:
        return Method(self.method).label


def _fitted(y: np.ndarray, h: int, m: int, choice: Choice) -> tuple[str, Path, dict[str, str]]:
    """The chosen method fitted on the whole series; if that fit fails, the next best by
    MASE, and the naive forecast last (it cannot fail)."""
    failed = dict(choice.failed)
    order = sorted(choice.candidates, key=choice.candidates.__getitem__)
    for method in [choice.method, *(m_ for m_ in order if m_ != choice.method)]:
        try:
            path = methods.forecast(method, y, h, m)
        except ModelFailed as exc:
            failed[method] = str(exc)
            continue
        return method, path, failed
    return Method.NAIVE, methods.naive(y, h), failed


def _note(series: Series, choice: Choice, method: str) -> str:
    if series.n < MIN_POINTS:
        return f"No forecast: {series.n} value(s), at least {MIN_POINTS} are needed."
    if method == Method.NONE:
        return "No forecast: the values are too large to fit without overflow."
    if not choice.judged:
        return (
            f"Too short to compare methods ({series.n} periods): the last value carried "
            "forward, with a band from its changes."
        )
    if method != choice.method:
        return f"{Method(choice.method).label} failed on the whole series; next best shown."
    if not choice.beats_baseline:
        return (
            f"No method beats {Method(choice.baseline).label.lower()} on this series: "
            "treat the line as a baseline, not a prediction."
        )
    return ""


def forecast_series(
    points: Iterable[tuple[dt.date, float, str]],
    cadence: str,
    *,
    horizon: int | None = None,
    origins: int = ORIGINS,
) -> SeriesForecast:
    """Forecast a KPI's values `horizon` periods ahead (default: 18 months of its cadence)."""
    series = regular_series(points, cadence)
    h = horizon or HORIZON[cadence]
    m = series.season_length
    y = series.values
    if series.n < MIN_POINTS:
        empty = Choice(Method.NONE, False, None, baseline_method(series.n, m), None)
        return _assemble(series, h, empty, Method.NONE, None, {})
    # Judged and fitted on numbers near one (MASE is scale-free), so no square of a KPI counted
    # in billions overflows; the path is scaled back before it is stored.
    unit = methods.unit_of(y)
    choice = choose(y / unit, m, h, origins=origins)
    method, path, failed = _fitted(y / unit, h, m, choice)
    mean, sd = path.mean * unit, path.sd * unit
    if not (np.all(np.isfinite(mean)) and np.all(np.isfinite(sd))):
        failed[method] = "not a finite number once scaled back"
        return _assemble(series, h, choice, Method.NONE, None, failed)
    return _assemble(series, h, choice, method, Path(mean, sd), failed)


def _assemble(
    series: Series,
    h: int,
    choice: Choice,
    method: str,
    path: Path | None,
    failed: dict[str, str],
) -> SeriesForecast:
    widening = series.widening()
    out: list[ForecastPoint] = []
    if path is not None and series.last_date is not None:
        for step in range(h):
            mean, sd = float(path.mean[step]), float(path.sd[step]) * widening
            out.append(
                ForecastPoint(
                    period_date=series.date_at(series.n + step),
                    horizon=step + 1,
                    value=mean,
                    sd=sd,
                    lo80=mean - Z80 * sd,
                    hi80=mean + Z80 * sd,
                    lo95=mean - Z95 * sd,
                    hi95=mean + Z95 * sd,
                )
            )
    y = series.values
    return SeriesForecast(
        cadence=series.cadence,
        method=method,
        origin=series.last_date,
        n_points=series.n,
        gaps=series.gaps,
        season_length=series.season_length,
        judged=choice.judged and method == choice.method,
        mase=choice.mase if method == choice.method else choice.candidates.get(method),
        baseline=choice.baseline,
        baseline_mase=choice.baseline_mase,
        beats_baseline=choice.beats_baseline and method == choice.method,
        scale=_scale(y, series.season_length),
        widening=widening,
        candidates=dict(choice.candidates),
        failed=failed,
        points=tuple(out),
        note=_note(series, choice, method),
    )


def _scale(y: np.ndarray, m: int) -> float:
    if not y.size:
        return 1.0
    unit = methods.unit_of(y)
    return mase_scale(y / unit, m) * unit


def forecast_array(y: Sequence[float] | np.ndarray, m: int, h: int) -> tuple[str, Path]:
    """The chosen method's forecast of a plain array (the benchmark's entry point)."""
    values = np.asarray(y, dtype=float)
    choice = choose(values, m, h)
    method, path, _ = _fitted(values, h, m, choice)
    return method, path
