"""Benchmark: the forecaster's rolling-origin backtest on real public series, and the cost of
the statistics of a demo-sized organisation.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/forecast.py

1. Accuracy. Real monthly and quarterly series shipped inside statsmodels (`statsmodels.datasets`:
   electrical equipment orders, Mauna Loa CO2 as monthly means, El Niño sea temperatures, the
   US macro quarterlies, the Danish money-demand and the German interest/inflation data);
   nothing is downloaded. Each series is cut at BENCH_ORIGINS origins one season apart; from
   each, every method forecasts two years (18 months, 8 quarters) from the history before it
   (at most the service's MAX_POINTS) and is scored by MASE (mean absolute error over the
   in-sample seasonal-naive error). It prints the MASE per series for seasonal-naive, every
   single method applied to every series alike, and the per-series choice the service makes
   (`choose`: its own rolling-origin MASE on the history before the origin), then the overall
   (mean) MASE of each and its ratio to seasonal-naive's. Goals: chosen <= 0.5 x seasonal
   naive, and no worse than the best single method. It also prints the ceiling of any
   per-series choice: each series' best single method picked in hindsight. On these series
   that ceiling is about 0.61 x seasonal naive, so the 0.5 goal is out of reach of choosing
   among these methods (measured 2026-12-04; the mean, median and log-scale combinations of
   every subset of them reach at best 0.65 x, picked in hindsight too).
2. Speed. An organisation like the demo (40 KPIs, two years of weekly or monthly history,
   declared lead→lag links) built in a scratch database (`<name>_bench_forecast`), then timed:
   the org-wide recompute through the services (reads, model choice, forecasts, intervals,
   accuracy of past forecasts, lead→lag tests, writes). Goal: <= 5 s. Without DATABASE_URL only
   part 1 runs.

Not a test: it prints figures measured in one run.
"""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import time
from pathlib import Path

# One thread per process: these fits are small, and BLAS threads only fight over the cores.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import ROOT, app_env, recreate_database, run_django, scratch_url  # noqa: E402

from metrics.forecasting import methods  # noqa: E402
from metrics.forecasting.methods import Method, ModelFailed  # noqa: E402
from metrics.forecasting.selection import forecast_array  # noqa: E402
from metrics.forecasting.series import mase_scale  # noqa: E402

ORIGINS = int(os.environ.get("BENCH_ORIGINS", "3"))
SINGLE = [
    Method.SEASONAL_NAIVE,
    Method.NAIVE,
    Method.DRIFT,
    Method.SES,
    Method.THETA,
    Method.DAMPED_ETS,
    Method.SEASONAL_ETS,
    Method.COMBINED,
]
SHORT = {
    Method.SEASONAL_NAIVE: "snaive",
    Method.NAIVE: "naive",
    Method.DRIFT: "drift",
    Method.SES: "ses",
    Method.THETA: "theta",
    Method.DAMPED_ETS: "damped",
    Method.SEASONAL_ETS: "s-ets",
    Method.COMBINED: "comb",
}


def _dataset(name: str):
    return importlib.import_module(f"statsmodels.datasets.{name}").load_pandas().data


def public_series() -> list[tuple[str, int, np.ndarray]]:
    """(name, season length, values) of every real series used."""
    found: list[tuple[str, int, np.ndarray]] = []
    elec = _dataset("elec_equip")
    found.append(("elec_equip (monthly)", 12, elec.iloc[:, 0].to_numpy(dtype=float)))
    co2 = _dataset("co2")["co2"].resample("MS").mean().interpolate()
    found.append(("co2 Mauna Loa (monthly mean)", 12, co2.to_numpy(dtype=float)))
    nino = _dataset("elnino").drop(columns="YEAR").to_numpy(dtype=float).ravel()
    found.append(("elnino SST (monthly)", 12, nino))
    macro = _dataset("macrodata")
    for column in [
        "realgdp",
        "realcons",
        "realinv",
        "realgovt",
        "realdpi",
        "cpi",
        "m1",
        "tbilrate",
        "unemp",
        "pop",
        "infl",
        "realint",
    ]:
        found.append((f"macrodata {column} (quarterly)", 4, macro[column].to_numpy(dtype=float)))
    danish = _dataset("danish_data")
    for column in ["lrm", "lry", "lpy", "ibo", "ide"]:
        found.append((f"danish_data {column} (quarterly)", 4, danish[column].to_numpy(float)))
    inflation = _dataset("interest_inflation")
    for column in ["Dp", "R"]:
        found.append(
            (f"interest_inflation {column} (quarterly)", 4, inflation[column].to_numpy(dtype=float))
        )
    return found


CADENCE_OF_SEASON = {12: "monthly", 4: "quarterly"}


def backtest() -> dict[str, float]:
    from metrics.forecasting.series import HORIZON, MAX_POINTS

    columns = [*SINGLE, "chosen"]
    table: dict[str, dict[str, float]] = {}
    picks: dict[str, list[str]] = {}
    failures: dict[str, int] = dict.fromkeys(SINGLE, 0)
    started = time.perf_counter()
    for name, m, y in public_series():
        cadence = CADENCE_OF_SEASON[m]
        h, cap = HORIZON[cadence], MAX_POINTS[cadence]
        errors: dict[str, list[float]] = {c: [] for c in columns}
        picks[name] = []
        for k in reversed(range(ORIGINS)):
            origin = y.shape[0] - h - k * m
            train, actual = y[max(0, origin - cap) : origin], y[origin : origin + h]
            scale = mase_scale(train, m)
            for method in SINGLE:
                try:
                    mean = methods.forecast(method, train, h, m).mean
                except ModelFailed:
                    failures[method] += 1
                    mean = methods.naive(train, h).mean
                errors[method].append(float(np.mean(np.abs(actual - mean)) / scale))
            chosen, path = forecast_array(train, m, h)
            picks[name].append(SHORT.get(chosen, chosen))
            errors["chosen"].append(float(np.mean(np.abs(actual - path.mean)) / scale))
        table[name] = {c: float(np.mean(v)) for c, v in errors.items()}
    elapsed = time.perf_counter() - started

    width = max(len(name) for name in table)
    print(f"MASE per series ({ORIGINS} origins, 18 months / 6 quarters ahead)")
    print(" " * width, *(f"{SHORT.get(c, c):>7}" for c in columns), " picks")
    for name, row in table.items():
        print(f"{name:<{width}}", *(f"{row[c]:7.3f}" for c in columns), " " + ",".join(picks[name]))
    overall = {c: float(np.mean([row[c] for row in table.values()])) for c in columns}
    base = overall[Method.SEASONAL_NAIVE]
    print()
    print(f"{'overall MASE':<{width}}", *(f"{overall[c]:7.3f}" for c in columns))
    print(f"{'ratio to seasonal naive':<{width}}", *(f"{overall[c] / base:7.3f}" for c in columns))
    # The same comparison series by series, so one hard series cannot dominate it.
    geometric = {
        c: float(np.exp(np.mean([np.log(r[c] / r[Method.SEASONAL_NAIVE]) for r in table.values()])))
        for c in columns
    }
    print(f"{'geometric mean of ratios':<{width}}", *(f"{geometric[c]:7.3f}" for c in columns))
    best = min(SINGLE, key=overall.__getitem__)
    # The ceiling of choosing per series: the best single method of each series in hindsight
    # (no selection can beat it); if it misses the 0.5 goal, so must any choice among these.
    hindsight = float(np.mean([min(row[c] for c in SINGLE) for row in table.values()]))
    print(
        f"{'hindsight best per series':<{width}}", f"{hindsight:7.3f}", f"{hindsight / base:7.3f}"
    )
    print()
    failed = ", ".join(f"{SHORT[k]} {v}" for k, v in failures.items() if v) or "none"
    print(f"series: {len(table)}; single-method fits that failed (naive used instead): {failed}")
    print(f"chosen / seasonal naive = {overall['chosen'] / base:.3f} (goal <= 0.5)")
    print(
        f"chosen / best single ({SHORT[best]}) = {overall['chosen'] / overall[best]:.3f} "
        "(goal <= 1.0)"
    )
    print(f"backtest time: {elapsed:.1f} s")
    return overall


ORG_SCRIPT = r"""
import json, math, random, time, datetime as dt
import django
django.setup()
from django.contrib.auth import get_user_model
from django_scopes import scopes_disabled
from metrics.models import Kpi, KpiLink, MetricValue, Forecast, LinkEvidence
from metrics.forecasting.selection import forecast_series
from metrics.forecasting.selectors import kpi_histories, org_lead_suggestions
from metrics.forecasting.services import org_forecasts_refresh, org_links_refresh
from metrics.forecasting.series import shift_period
from perfmgmt.models import Organization
from perfmgmt.periods import cadence_period_start

rng = random.Random(2026)
today = dt.date(2026, 12, 1)
org = Organization.objects.create(name="Bench", slug="bench")
user = get_user_model().objects.create(username="bench")
kpis, rows = [], []
with scopes_disabled():
    for i in range(KPIS):
        cadence = "weekly" if i < WEEKLY else "monthly"
        kpi = Kpi.objects.create(organization=org, key=f"kpi-{i}", name=f"KPI {i}",
                                 kind="lead" if i % 3 == 0 else "lag", cadence=cadence,
                                 aggregation="sum" if cadence == "weekly" else "last",
                                 outcome_owner=user, data_owner=user)
        kpis.append(kpi)
        n = 104 if cadence == "weekly" else 24
        start = shift_period(cadence, cadence_period_start(cadence, today), -n)
        level, growth, noise = rng.uniform(10, 500), rng.uniform(-0.3, 0.6), rng.uniform(0.01, 0.2)
        for t in range(n):
            f = t / n
            value = level * (1 + growth * f) * (1 + 0.02 * math.sin(4 * math.pi * f))
            value *= 1 + rng.gauss(0, noise)
            grade = "audited" if n - t > 12 else "reconciled" if n - t > 3 else "preliminary"
            rows.append(MetricValue(organization=org, kpi=kpi,
                                    period_date=shift_period(cadence, start, t),
                                    value=round(value, 2), confidence=grade))
    # A true driver pair: the lag moves two months after the lead.
    lead, lag = kpis[WEEKLY], kpis[WEEKLY + 1]
    lead_rows = [r for r in rows if r.kpi_id == lead.pk]
    lag_rows = [r for r in rows if r.kpi_id == lag.pk]
    walk = 100.0
    for t, row in enumerate(lead_rows):
        walk += rng.gauss(0, 5)
        row.value = walk
    for t, row in enumerate(lag_rows):
        row.value = 50 + 0.8 * lead_rows[max(0, t - 2)].value + rng.gauss(0, 2)
    MetricValue.objects.bulk_create(rows)
    pairs = [(WEEKLY, WEEKLY + 1)] + [(i, (i * 7 + 5) % KPIS) for i in range(0, KPIS, 2)]
    links = {(a, b) for a, b in pairs if a != b}
    for a, b in sorted(links)[:LINKS]:
        KpiLink.objects.create(organization=org, lead=kpis[a], lag=kpis[b])

histories = kpi_histories(org, kpis)
started = time.perf_counter()
for kpi in kpis:
    forecast_series(histories[kpi.pk], kpi.cadence)
pure = time.perf_counter() - started

started = time.perf_counter()
forecasts = org_forecasts_refresh(org=org)
middle = time.perf_counter()
evidence = org_links_refresh(org=org)
total = time.perf_counter() - started
links_seconds = time.perf_counter() - middle

started = time.perf_counter()
org_forecasts_refresh(org=org)
org_links_refresh(org=org)
again = time.perf_counter() - started
started = time.perf_counter()
suggested = org_lead_suggestions(org=org)
suggest_seconds = time.perf_counter() - started
with scopes_disabled():
    true_link = KpiLink.objects.get(lead=kpis[WEEKLY], lag=kpis[WEEKLY + 1]).evidence
    verdicts = {}
    for e in LinkEvidence.objects.all():
        verdicts[e.verdict] = verdicts.get(e.verdict, 0) + 1
    methods = {}
    for f in Forecast.objects.all():
        methods[f.method] = methods.get(f.method, 0) + 1
    beats = Forecast.objects.filter(beats_baseline=True).count()
print(json.dumps({
    "kpis": len(kpis), "links": len(evidence), "pure": pure, "total": total,
    "forecasts": total - links_seconds, "links_seconds": links_seconds,
    "again": again, "suggest_seconds": suggest_seconds,
    "suggested": sum(len(found) for _, found in suggested),
    "verdicts": verdicts, "methods": methods, "beats": beats,
    "true_link": [true_link.verdict, true_link.best_lag, true_link.correlation],
}))
"""


def organisation(base: str) -> None:
    name, url = scratch_url(base, "bench_forecast")
    recreate_database(base, name)
    env = app_env(url)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        script = "KPIS, WEEKLY, LINKS = 40, 14, 18\n" + ORG_SCRIPT
        out = run_django(env, script)
    finally:
        recreate_database(base, name, create=False)
    print()
    print(
        f"Demo-like organisation: {out['kpis']} KPIs (14 weekly x 104, 26 monthly x 24), "
        f"{out['links']} lead→lag links"
    )
    print(f"  model choice + forecasts + intervals, pure functions only: {out['pure']:.2f} s")
    print(f"  services (read, choose, forecast, store, score past ones): {out['forecasts']:.2f} s")
    print(
        f"  lead→lag tests of every link, stored:                      {out['links_seconds']:.2f} s"
    )
    print(f"  whole organisation through the services: {out['total']:.2f} s (goal <= 5 s)")
    print(f"  again with no new values (no new versions): {out['again']:.2f} s")
    print(
        f"  candidate leads for every lag KPI (the lead→lag page's fragment): "
        f"{out['suggest_seconds']:.2f} s, {out['suggested']} suggested"
    )
    print(f"  methods chosen: {out['methods']}; beat seasonal naive: {out['beats']}")
    print(f"  link verdicts: {out['verdicts']}; the true driver pair: {out['true_link']}")


if __name__ == "__main__":
    backtest()
    if os.environ.get("DATABASE_URL"):
        organisation(os.environ["DATABASE_URL"])
