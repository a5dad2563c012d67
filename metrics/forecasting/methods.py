"""The candidate forecasting methods, each giving a mean path and its standard deviation.

Baselines (naive, seasonal naive, drift) are a few lines of numpy with the textbook interval
formulas (Hyndman & Athanasopoulos, *Forecasting: Principles and Practice*, 5.5); the models
are statsmodels' `ETSModel` (exact prediction variances for additive errors) and `ThetaModel`.
A fit that warns (no convergence, overflow) or yields a non-finite number raises `ModelFailed`,
and the caller drops that candidate instead of drawing what it produced.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from typing import Any, NamedTuple

import numpy as np
import pandas as pd  # type: ignore[import-untyped]
from django.db import models
from statsmodels.tools.sm_exceptions import ConvergenceWarning  # type: ignore[import-untyped]
from statsmodels.tsa.exponential_smoothing.ets import ETSModel  # type: ignore[import-untyped]
from statsmodels.tsa.forecasting.theta import ThetaModel  # type: ignore[import-untyped]
from statsmodels.tsa.seasonal import seasonal_decompose  # type: ignore[import-untyped]
from statsmodels.tsa.stattools import acf  # type: ignore[import-untyped]

Z95 = 1.959963984540054


class Method(models.TextChoices):
    NONE = "none", "No forecast (too little history)"
    NAIVE = "naive", "Naive (last value)"
    SEASONAL_NAIVE = "seasonal_naive", "Seasonal naive (same period last year)"
    DRIFT = "drift", "Drift (the line from first to last value)"
    SES = "ses", "Exponential smoothing, ETS(A,N,N), seasonally adjusted if seasonal"
    DAMPED_ETS = (
        "damped_ets",
        "Damped-trend exponential smoothing, ETS(A,Ad,N), seasonally adjusted if seasonal",
    )
    SEASONAL_ETS = "seasonal_ets", "Seasonal damped-trend exponential smoothing, ETS(A,Ad,A)"
    THETA = "theta", "Theta method"
    COMBINED = "combined", "Average of damped ETS, Theta and exponential smoothing"


class Path(NamedTuple):
    mean: np.ndarray
    sd: np.ndarray


class ModelFailed(Exception):
    """The fit did not converge or produced something that is not a finite number."""


@contextmanager
def _guarded(method: str) -> Iterator[None]:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            yield
        except (ValueError, np.linalg.LinAlgError, FloatingPointError, ZeroDivisionError) as exc:
            raise ModelFailed(f"{method}: {exc}") from exc
    for warning in caught:
        if issubclass(warning.category, ConvergenceWarning | RuntimeWarning):
            raise ModelFailed(f"{method}: {warning.message}")


def _finite(method: str, *arrays: np.ndarray) -> None:
    for array in arrays:
        if not np.all(np.isfinite(array)):
            raise ModelFailed(f"{method}: non-finite output")


def _steps(h: int) -> np.ndarray:
    return np.arange(1, h + 1, dtype=float)


def _rms(residuals: np.ndarray) -> float:
    return float(np.sqrt(np.mean(residuals**2))) if residuals.size else 0.0


# --- baselines -------------------------------------------------------------------------------


def naive(y: np.ndarray, h: int, m: int = 1) -> Path:
    sigma = _rms(np.diff(y))
    return Path(np.full(h, y[-1]), sigma * np.sqrt(_steps(h)))


def seasonal_naive(y: np.ndarray, h: int, m: int) -> Path:
    if y.shape[0] <= m:
        return naive(y, h)
    index = np.arange(h)
    mean = y[-m + index % m]
    sigma = _rms(y[m:] - y[:-m])
    return Path(mean, sigma * np.sqrt(index // m + 1.0))


def drift(y: np.ndarray, h: int, m: int = 1) -> Path:
    n = y.shape[0]
    slope = (y[-1] - y[0]) / (n - 1) if n > 1 else 0.0
    steps = _steps(h)
    residuals = np.diff(y) - slope
    sigma = float(np.sqrt(np.sum(residuals**2) / max(n - 2, 1))) if n > 2 else 0.0
    return Path(y[-1] + slope * steps, sigma * np.sqrt(steps * (1 + steps / max(n - 1, 1))))


# --- statsmodels models ----------------------------------------------------------------------


# --- seasonal adjustment ---------------------------------------------------------------------

SEASONALITY_Z = 1.645  # the 90 % test of the M4 competition's benchmarks
SEASONS_TO_ADJUST = 3


class Adjustment(NamedTuple):
    factors: np.ndarray  # by position in the season, counted from the series' first period
    multiplicative: bool

    def remove(self, y: np.ndarray) -> np.ndarray:
        season = self.factors[np.arange(y.shape[0]) % self.factors.shape[0]]
        adjusted: np.ndarray = y / season if self.multiplicative else y - season
        return adjusted

    def restore(self, path: Path, start: int) -> Path:
        season = self.factors[(start + np.arange(path.mean.shape[0])) % self.factors.shape[0]]
        if self.multiplicative:
            return Path(path.mean * season, path.sd * season)
        return Path(path.mean + season, path.sd)


def seasonal_adjustment(y: np.ndarray, m: int) -> Adjustment | None:
    """The seasonal factors of a classical decomposition (multiplicative for positive series),
    when the series is seasonal: three full seasons known (with two, each factor rests on one
    or two values) and its autocorrelation at lag m beyond the 90 % limit (the test of the M4
    benchmarks). None otherwise."""
    n = y.shape[0]
    if m <= 1 or n < SEASONS_TO_ADJUST * m or np.std(y) <= 0:
        return None
    with _guarded("seasonal adjustment"):
        rho = acf(y, nlags=m, fft=True)
        if abs(rho[m]) <= SEASONALITY_Z * np.sqrt((1 + 2 * np.sum(rho[1:m] ** 2)) / n):
            return None
        multiplicative = bool(y.min() > 0)
        decomposition = seasonal_decompose(y, model="mul" if multiplicative else "add", period=m)
    factors = np.asarray(decomposition.seasonal[:m], dtype=float)
    if not np.all(np.isfinite(factors)) or (multiplicative and factors.min() <= 0):
        return None
    return Adjustment(factors, multiplicative)


def _adjusted(method: str, y: np.ndarray, m: int) -> tuple[np.ndarray, Adjustment | None]:
    """The series the method is fitted on: seasonally adjusted for the non-seasonal smoothers."""
    if method not in (Method.SES, Method.DAMPED_ETS):
        return y, None
    adjustment = seasonal_adjustment(y, m)
    return (y if adjustment is None else adjustment.remove(y)), adjustment


def _ets_model(y: np.ndarray, method: str, m: int) -> Any:
    options: dict[str, Any] = {"error": "add"}
    if method in (Method.DAMPED_ETS, Method.SEASONAL_ETS):
        options.update(trend="add", damped_trend=True)
    if method == Method.SEASONAL_ETS:
        # The heuristic start needs two full seasons and spares estimating m initial states.
        options.update(seasonal="add", seasonal_periods=m, initialization_method="heuristic")
    # A pandas endog: ETSModel's prediction results read an index off it.
    return ETSModel(pd.Series(y), **options)


def _ets_fit(y: np.ndarray, method: str, m: int) -> Any:
    with _guarded(method):
        result = _ets_model(y, method, m).fit(disp=False, maxiter=200)
    if not result.mle_retvals.get("converged", False):
        raise ModelFailed(f"{method}: the likelihood did not converge")
    return result


def _ets_path(result: Any, n: int, h: int, method: str) -> Path:
    with _guarded(method):
        mean = np.asarray(result.forecast(h), dtype=float)
        variance = np.asarray(
            result.get_prediction(start=n, end=n + h - 1).forecast_variance, dtype=float
        )
    _finite(method, mean, variance)
    return Path(mean, np.sqrt(np.maximum(variance, 0.0)))


def _ets(method: str) -> Callable[[np.ndarray, int, int], Path]:
    def forecast(y: np.ndarray, h: int, m: int) -> Path:
        z, adjustment = _adjusted(method, y, m)
        path = _ets_path(_ets_fit(z, method, m), y.shape[0], h, method)
        return path if adjustment is None else adjustment.restore(path, y.shape[0])

    return forecast


def _ets_backtest(method: str) -> Callable[[np.ndarray, Sequence[int], int, int], list[np.ndarray]]:
    def backtest(y: np.ndarray, origins: Sequence[int], h: int, m: int) -> list[np.ndarray]:
        """Parameters estimated once, on the data before the first origin (so no origin sees
        its own future), then only re-smoothed up to each later origin: a fraction of the cost
        of a fit per origin, with the same honesty about what was known when."""
        paths, params = [], None
        for origin in origins:
            z, adjustment = _adjusted(method, y[:origin], m)
            with _guarded(method):
                if params is None:
                    result = _ets_fit(z, method, m)
                    params = result.params
                else:
                    result = _ets_model(z, method, m).smooth(params)
                mean = np.asarray(result.forecast(h), dtype=float)
            path = Path(mean, np.zeros(h))
            paths.append(path.mean if adjustment is None else adjustment.restore(path, origin).mean)
        _finite(method, *paths)
        return paths

    return backtest


def _theta_fit(y: np.ndarray, m: int) -> Any:
    # Deseasonalising needs two full seasons (a classical decomposition); ThetaModel then tests
    # whether the seasonality is there before removing it.
    seasonal = m > 1 and y.shape[0] >= 2 * m
    with _guarded(Method.THETA):
        return ThetaModel(pd.Series(y), period=m if seasonal else 1, deseasonalize=seasonal).fit()


def _theta_mean(result: Any, h: int) -> np.ndarray:
    with _guarded(Method.THETA):
        mean = np.asarray(result.forecast(h), dtype=float)
    _finite(Method.THETA, mean)
    return mean


_MA_GRID = np.linspace(-0.99, 0.99, 199)


def _arima011_variance(y: np.ndarray) -> float:
    """Innovation variance of an ARIMA(0,1,1) with drift, the model behind the Theta method's
    intervals. ThetaModel's own `sigma2` fits it by maximum likelihood (a SARIMAX fit, about
    ten times the cost of the whole Theta fit); this is its conditional-sum-of-squares
    reading, over a grid of MA coefficients at once."""
    changes = np.diff(y)
    if changes.size < 2:
        return 0.0
    changes = changes - changes.mean()
    errors = np.zeros_like(_MA_GRID)
    total = np.zeros_like(_MA_GRID)
    for change in changes:
        errors = change - _MA_GRID * errors
        total += errors**2
    return float(total.min() / changes.size)


def theta(y: np.ndarray, h: int, m: int) -> Path:
    result = _theta_fit(y, m)
    mean = _theta_mean(result, h)
    alpha = float(result.params.iloc[1])
    sigma2 = _arima011_variance(y)
    # ThetaModel.prediction_intervals' variance of the h-step forecast, with that sigma2.
    variance = (1 + np.arange(h) * (1 + (alpha - 1) ** 2)) * sigma2
    sd = np.sqrt(variance)
    _finite(Method.THETA, sd)
    return Path(mean, sd)


Forecaster = Callable[[np.ndarray, int, int], Path]
Backtester = Callable[[np.ndarray, Sequence[int], int, int], list[np.ndarray]]

FORECASTERS: dict[str, Forecaster] = {
    Method.NAIVE: naive,
    Method.SEASONAL_NAIVE: seasonal_naive,
    Method.DRIFT: drift,
    Method.SES: _ets(Method.SES),
    Method.DAMPED_ETS: _ets(Method.DAMPED_ETS),
    Method.SEASONAL_ETS: _ets(Method.SEASONAL_ETS),
    Method.THETA: theta,
}
# The parts of the combination, each a strong single method on public series (M3/M4), the
# smoothers on seasonally adjusted values (like the M4 "Comb" benchmark): their average is
# steadier than any one of them, and costs nothing extra once they are computed.
COMBINED_PARTS: tuple[str, ...] = (Method.DAMPED_ETS, Method.THETA, Method.SES)


BASELINES = (Method.NAIVE, Method.SEASONAL_NAIVE, Method.DRIFT)


def unit_of(y: np.ndarray) -> float:
    """A scale to fit the models on: optimisers converge on numbers near one, whether the KPI
    counts euros in millions or a rate in thousandths (the methods are scale-equivariant)."""
    size = float(np.mean(np.abs(y))) if y.size else 0.0
    return size if size > 1e-12 else 1.0


def backtest(
    method: str, y: np.ndarray, origins: Sequence[int], h: int, m: int
) -> list[np.ndarray]:
    """The mean forecast of `h` steps from each origin, fitting only on what precedes it."""
    if method in BASELINES:
        forecaster = FORECASTERS[method]
        return [forecaster(y[:origin], h, m).mean for origin in origins]
    unit = unit_of(y[: origins[0]])
    if method in (Method.SES, Method.DAMPED_ETS, Method.SEASONAL_ETS):
        return [path * unit for path in _ets_backtest(method)(y / unit, origins, h, m)]
    # Theta: only the means are judged, so no variance is computed.
    return [_theta_mean(_theta_fit(y[:origin] / unit, m), h) * unit for origin in origins]


def forecast(method: str, y: np.ndarray, h: int, m: int) -> Path:
    """The method fitted on all of `y`, `h` steps ahead (the combination averages its parts,
    and its standard deviation is their average: no credit for diversification it may lack)."""
    if method in BASELINES:
        return FORECASTERS[method](y, h, m)
    unit = unit_of(y)
    if method == Method.COMBINED:
        paths = [FORECASTERS[part](y / unit, h, m) for part in COMBINED_PARTS]
        mean = np.mean([p.mean for p in paths], axis=0)
        sd = np.mean([p.sd for p in paths], axis=0)
    else:
        mean, sd = FORECASTERS[method](y / unit, h, m)
    return Path(mean * unit, sd * unit)
