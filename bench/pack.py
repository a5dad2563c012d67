"""Benchmark: the monthly business-review pack for 40 key KPIs and for 300, with the time split.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/pack.py

Builds a scratch database on the server of DATABASE_URL with one organisation per size: four
perspectives, a priority and two objectives each, and N key KPIs (half weekly, half monthly;
sums, averages and last values; some lower-is-better) with two years of history, quarterly
targets, commentary on a third of them, a moved target and a monthly review. Then, in one
process as a worker runs it, it makes last month's pack the way the pack job does and prints
the time of each part: reading the numbers (queries and the month arithmetic), drawing the
charts, laying out the PDF, writing the workbook, and the total with the PDF's page count.
Goals: total <= 5 s for 40 KPIs, <= 20 s for 300. Not a test. BENCH_SIZES (default "40,300")
picks the sizes; BENCH_RUNS (default 3) the runs per size, of which the median is printed.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.common import ROOT, app_env, recreate_database, run_django, scratch_url  # noqa: E402

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "40,300").split(",")]
RUNS = int(os.environ.get("BENCH_RUNS", "3"))
# BENCH_PROFILE=1: where the PDF's time goes (cProfile of each layout, on standard error).
PROFILE = os.environ.get("BENCH_PROFILE", "") not in ("", "0")

SCRIPT = r"""
import datetime as dt, json, random, statistics, time
import django
django.setup()
import perfmgmt.wsgi  # noqa: F401  (as a worker process is set up: gc.freeze)
from django.contrib.auth.models import User
from django.db import connection
from django.test.utils import CaptureQueriesContext
from perfmgmt.actor import audit_context
from metrics.models import Kpi, MetricValue, Target
from objectives.models import Objective, StrategicPriority
from perfmgmt.models import Membership, Organization, Team
from perfmgmt.periods import add_months, last_closed_month
from perfmgmt.tenancy import org_scope
from reviews.models import KpiCommentary, ReviewMeeting, Decision
from reviews.packs import data as pack_data_module
from reviews.packs.data import pack_data
from reviews.packs.pdf import render_pdf
from reviews.packs.xlsx import render_xlsx
from types import SimpleNamespace

import sys
SIZES, RUNS, PROFILE = %(sizes)s, %(runs)s, %(profile)s
rng = random.Random(7)
today = dt.date.today()
user = User.objects.create(username="cfo", first_name="Carla", last_name="Finanz")


def build(n):
    org = Organization.objects.create(name=f"Bench {n} — Société 株式会社", slug=f"bench-{n}")
    with org_scope(org):
        Membership.objects.create(organization=org, user=user, role="finance")
        team = Team.objects.create(organization=org, name="Operations", slug="ops")
        objectives = []
        for rank, perspective in enumerate(["financial", "customer", "internal", "learning"], 1):
            priority = StrategicPriority.objects.create(
                organization=org, title=f"Priority {rank}: a long and ambitious strategic aim "
                "for the next three years", perspective=perspective, owner=user, rank=rank,
                horizon_start=dt.date(today.year - 2, 1, 1),
                horizon_end=dt.date(today.year + 2, 12, 31))
            for k in range(2):
                objectives.append(Objective.objects.create(
                    organization=org, title=f"Objective {rank}.{k}", team=team, owner=user,
                    priority=priority, period_kind="year",
                    period_start=dt.date(today.year - 2, 1, 1),
                    period_end=dt.date(today.year + 1, 12, 31)))
        kpis, values, targets = [], [], []
        for i in range(n):
            weekly = i %% 2 == 0
            name = f"KPI {i:03d} " + ("très longue désignation du chiffre d'affaires récurrent "
                                      "par segment 売上高" if i %% 7 == 0 else "revenue")
            kpi = Kpi.objects.create(
                organization=org, key=f"k{i}", name=name, unit=["€k", "%%", "", "days"][i %% 4],
                direction="lower" if i %% 5 == 0 else "higher", kind="lead" if i %% 3 else "lag",
                cadence="weekly" if weekly else "monthly",
                aggregation=["sum", "average", "last"][i %% 3], objective=objectives[i %% 8],
                outcome_owner=user, data_owner=user, is_key=True)
            kpis.append(kpi)
            base = rng.uniform(20, 500)
            day = today - dt.timedelta(days=730)
            step = dt.timedelta(weeks=1)
            day = day - dt.timedelta(days=day.weekday()) if weekly else day.replace(day=1)
            while day < today:
                values.append(MetricValue(organization=org, kpi=kpi, period_date=day,
                    value=round(base * rng.uniform(0.85, 1.15), 2),
                    confidence=rng.choice(["estimate", "preliminary", "reconciled", "audited"])))
                day = day + step if weekly else add_months(day, 1)
            quarter = dt.date(today.year - 2, 1, 1)
            while quarter < today + dt.timedelta(days=100):
                end = add_months(quarter, 3) - dt.timedelta(days=1)
                targets.append(Target(organization=org, kpi=kpi, period_start=quarter,
                    period_end=end, value=round(base, 1), green_threshold=round(base, 1),
                    amber_threshold=round(base * (0.9 if kpi.direction == "higher" else 1.1), 1)))
                quarter = add_months(quarter, 3)
        MetricValue.objects.bulk_create(values, batch_size=5000)
        Target.objects.bulk_create(targets, batch_size=5000)
        month = last_closed_month(org)
        KpiCommentary.objects.bulk_create([
            KpiCommentary(organization=org, kpi=k, month=month, author=user,
                analysis="Volumes were below plan in two regions; pricing held. " * 2,
                next_step="Regional reviews weekly until the gap closes.")
            for k in kpis[::3]])
        with audit_context(user=user.pk):  # a target moved mid-period, on the trail
            Target.objects.filter(kpi=kpis[0], period_start__lte=month,
                period_end__gte=month).update(value=8)
        meeting = ReviewMeeting.objects.create(organization=org, kind="monthly",
            held_on=month + dt.timedelta(days=5), created_by=user)
        Decision.objects.create(organization=org, meeting=meeting, text="Hold prices.",
            recorded_by=user)
    return org, month


drawn = {"seconds": 0.0}
trend_svg = pack_data_module.trend_svg
def timed_svg(*args, **kwargs):
    started = time.perf_counter()
    try:
        return trend_svg(*args, **kwargs)
    finally:
        drawn["seconds"] += time.perf_counter() - started
pack_data_module.trend_svg = timed_svg

results = []
for n in SIZES:
    org, month = build(n)
    runs = []
    for _ in range(RUNS):
        drawn["seconds"] = 0.0
        started = time.perf_counter()
        with CaptureQueriesContext(connection) as queries:
            data = pack_data(org=org, month=month)
        read = time.perf_counter() - started
        meta = {"version": 1, "generated_by": "bench", "generated_at": "now", "data_as_of": "now"}
        t0 = time.perf_counter()
        context = {"data": data, "pack": SimpleNamespace(version=1), "meta": meta, "stamp": None}
        if PROFILE:
            import cProfile, pstats
            profile = cProfile.Profile()
            profile.enable()
        pdf, pages = render_pdf(context)
        if PROFILE:
            profile.disable()
            pstats.Stats(profile, stream=sys.stderr).sort_stats("tottime").print_stats(25)
        t1 = time.perf_counter()
        workbook = render_xlsx(data, meta)
        t2 = time.perf_counter()
        runs.append({"numbers": read - drawn["seconds"], "charts": drawn["seconds"],
                     "pdf": t1 - t0, "xlsx": t2 - t1, "total": t2 - started,
                     "pages": pages, "queries": len(queries), "pdf_kb": len(pdf) // 1024,
                     "xlsx_kb": len(workbook) // 1024})
    median = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
    results.append({"kpis": n, **median})
print(json.dumps(results))
"""


def main() -> None:
    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("Set DATABASE_URL to a PostgreSQL server (a scratch database is made on it).")
    name, url = scratch_url(base, "bench_pack")
    recreate_database(base, name)
    env = app_env(url)
    try:
        subprocess.run(
            [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
        )
        script = SCRIPT % {"sizes": SIZES, "runs": RUNS, "profile": PROFILE}
        results = run_django(env, script)
    finally:
        recreate_database(base, name, create=False)
    goals = {40: 5.0, 300: 20.0}
    print(f"Business-review pack, median of {RUNS} runs (seconds)")
    print("| KPIs | numbers (queries) | charts | PDF | XLSX | total | goal | pages | queries |")
    print("| ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for row in results:
        goal = goals.get(row["kpis"])
        verdict = (
            "" if goal is None else (f"≤ {goal:g} ✓" if row["total"] <= goal else f"≤ {goal:g} ✗")
        )
        print(
            f"| {row['kpis']} | {row['numbers']:.2f} | {row['charts']:.2f} | {row['pdf']:.2f} "
            f"| {row['xlsx']:.2f} | **{row['total']:.2f}** | {verdict} | {row['pages']:.0f} "
            f"| {row['queries']:.0f} |"
        )


if __name__ == "__main__":
    main()
