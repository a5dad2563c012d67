"""Benchmark: the whole app under a mixed load, with nothing lost and nothing 500.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/load.py

It creates a scratch database (`<name>_bench_load` on the same server), migrates it, seeds the
demo organisation, adds LOAD_KPIS weekly KPIs and a read-write API key, and starts the app
under gunicorn with 2 workers on loopback (DEBUG off, REDIS_URL passed on when set). Then, from
this process, BENCH_CLIENTS client threads send for BENCH_SECONDS (60) a mix of:

- page: the executive's dashboard, exceptions list and cascade page (signed in);
- api read: KPI list, a KPI's values, the cascade;
- push: one value to POST values/;
- bulk: 1,000 values (10 KPIs x 100 weeks) to POST values/bulk/, shuffled, so concurrent
  batches overlap in (KPI, week) and race for the same rows.

It prints requests/s and p50/p95/p99 per kind, the errors (any answer but 2xx, or no answer),
and acknowledged against stored values: every (KPI, week) a 2xx answer acknowledged must be in
the database, holding one of the values acknowledged for it.
Goal: 0 errors, stored = acknowledged, API read p95 <= 100 ms. Not a test.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import subprocess
import sys
import threading
import time
from collections import defaultdict

import psycopg2
import requests
from common import (
    ROOT,
    app_env,
    free_port,
    gunicorn,
    recreate_database,
    run_django,
    scratch_url,
    wait_for,
)

SECONDS = float(os.environ.get("BENCH_SECONDS", "60"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
LOAD_KPIS = 40
WEEKS = 100
BULK_KPIS = 10
MIX = [("page", 3), ("api read", 4), ("push", 4), ("bulk", 1)]
MONDAY = dt.date(2026, 11, 16)
WEEK_DATES = [(MONDAY - dt.timedelta(weeks=w)).isoformat() for w in range(WEEKS)]


def build_world(env: dict[str, str]) -> dict:
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    seed = [sys.executable, "manage.py", "seed_demo", "--force", "-v0"]  # a scratch database
    subprocess.run(seed, cwd=ROOT, env=env, check=True)
    script = f"""
import django, json
django.setup()
from metrics.models import Kpi
from perfmgmt.management.commands.seed_demo import DEMO_PASSWORD
from perfmgmt.models import Membership, Organization, Role
from perfmgmt.services import api_key_create
from perfmgmt.tenancy import org_scope
org = Organization.objects.get(slug="acme")
with org_scope(org):
    admin = Membership.objects.select_related("user").get(role=Role.ADMIN)
    Kpi.objects.bulk_create([
        Kpi(organization=org, key=f"load-{{i}}", name=f"Load {{i}}", kind="lead",
            cadence="weekly", outcome_owner=admin.user, data_owner=admin.user)
        for i in range({LOAD_KPIS})
    ])
    kpi = str(Kpi.objects.filter(key="load-0").values_list("id", flat=True).get())
_, secret = api_key_create(org=org, actor=admin, name="load", scope="read_write")
print(json.dumps({{"secret": secret, "kpi": kpi, "password": DEMO_PASSWORD}}))
"""
    return run_django(env, script)


def signed_in(site: str, password: str) -> requests.Session:
    """The executive's browser. With DEBUG off cookies are Secure; on loopback there is no TLS,
    so the session says it came through an HTTPS proxy (as it would behind one) and sends them."""
    session = requests.Session()
    https = site.replace("http://", "https://")
    session.headers.update({"X-Forwarded-Proto": "https", "Referer": f"{https}/accounts/login/"})
    session.get(f"{site}/accounts/login/", timeout=30)
    for cookie in session.cookies:
        cookie.secure = False
    response = session.post(
        f"{site}/accounts/login/",
        data={
            "username": "ceo",
            "password": password,
            "csrfmiddlewaretoken": session.cookies["csrftoken"],
        },
        timeout=30,
        allow_redirects=False,
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in failed: {response.status_code}")
    for cookie in session.cookies:
        cookie.secure = False
    return session


class Load:
    def __init__(self, site: str, world: dict) -> None:
        self.site, self.kpi_id, self.password = site, world["kpi"], world["password"]
        self.api = f"{site}/api/v1/o/acme"
        self.headers = {"Authorization": f"Bearer {world['secret']}"}
        self.times: dict[str, list[float]] = defaultdict(list)
        self.errors: dict[str, list[str]] = defaultdict(list)
        self.acknowledged: dict[tuple[str, str], set[float]] = defaultdict(set)
        self.lock = threading.Lock()

    def request(self, kind: str, session: requests.Session, method: str, url: str, **kw) -> bool:
        start = time.perf_counter()
        try:
            response = session.request(method, url, timeout=60, **kw)
            ok, detail = 200 <= response.status_code < 300, f"{response.status_code} {url}"
            detail += f" {response.text[:200]}" if not ok else ""
        except requests.RequestException as exc:
            ok, detail = False, f"{type(exc).__name__} {url}"
        elapsed = (time.perf_counter() - start) * 1000
        with self.lock:
            self.times[kind].append(elapsed)
            if not ok:
                self.errors[kind].append(detail)
        return ok

    def acknowledge(self, rows: list[dict]) -> None:
        with self.lock:
            for row in rows:
                self.acknowledged[(row["kpi"], row["period_date"])].add(row["value"])

    def client(self, number: int, stop: float) -> None:
        try:
            self.requests(number, stop)
        except Exception as exc:  # a client that dies is an error of the run, not a quiet one
            with self.lock:
                self.errors["client"].append(f"client {number} died: {exc!r}")

    def requests(self, number: int, stop: float) -> None:
        rng = random.Random(number)
        api = requests.Session()
        api.headers.update(self.headers)
        page = signed_in(self.site, self.password)
        kinds = [kind for kind, weight in MIX for _ in range(weight)]
        while time.monotonic() < stop:
            kind = rng.choice(kinds)
            if kind == "page":
                path = rng.choice(["dashboard/", "exceptions/", ""])
                self.request(kind, page, "GET", f"{self.site}/o/acme/{path}")
            elif kind == "api read":
                path = rng.choice(["kpis/", f"values/?kpi={self.kpi_id}&limit=100", "cascade/"])
                self.request(kind, api, "GET", f"{self.api}/{path}")
            elif kind == "push":
                row = {
                    "kpi": f"load-{rng.randrange(LOAD_KPIS)}",
                    "period_date": rng.choice(WEEK_DATES),
                    "value": float(rng.randrange(1_000_000)),
                }
                if self.request(kind, api, "POST", f"{self.api}/values/", json=row):
                    self.acknowledge([row])
            else:
                first = rng.randrange(LOAD_KPIS - BULK_KPIS + 1)
                value = float(rng.randrange(1_000_000))
                rows = [
                    {"kpi": f"load-{k}", "period_date": day, "value": value}
                    for k in range(first, first + BULK_KPIS)
                    for day in WEEK_DATES
                ]
                rng.shuffle(rows)
                body = {"values": rows}
                if self.request(kind, api, "POST", f"{self.api}/values/bulk/", json=body):
                    self.acknowledge(rows)


def stored_values(url: str) -> dict[tuple[str, str], float]:
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            "SELECT k.key, v.period_date, v.value FROM metrics_metricvalue v"
            " JOIN metrics_kpi k ON k.id = v.kpi_id WHERE k.key LIKE 'load-%%'"
        )
        rows = {(key, day.isoformat()): value for key, day, value in cur.fetchall()}
    conn.close()
    return rows


def percentile(times: list[float], p: int) -> float:
    return statistics.quantiles(times, n=100, method="inclusive")[p - 1] if len(times) > 1 else 0


def main() -> None:
    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the scratch database is made there).")
    name, url = scratch_url(base, "bench_load")
    recreate_database(base, name)
    port = free_port()
    env = app_env(url)
    world = build_world(env)
    site = f"http://127.0.0.1:{port}"
    server = gunicorn(env, port, workers=2)
    try:
        wait_for(f"{site}/healthz")
        load = Load(site, world)
        stop = time.monotonic() + SECONDS
        started = time.monotonic()
        threads = [threading.Thread(target=load.client, args=(n, stop)) for n in range(CLIENTS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        elapsed = time.monotonic() - started
    finally:
        server.terminate()
        server.wait(timeout=30)

    stored = stored_values(url)
    total = sum(len(times) for times in load.times.values())
    errors = sum(len(errors) for errors in load.errors.values())
    print(f"mixed load: {CLIENTS} clients for {elapsed:.0f} s against gunicorn x2 on loopback")
    print(f"requests: {total:,} ({total / elapsed:,.1f}/s), errors: {errors}")
    print(f"{'kind':<10} {'count':>7} {'req/s':>7} {'p50 ms':>8} {'p95 ms':>8} {'p99 ms':>8}")
    for kind, _ in MIX:
        times = load.times[kind]
        print(
            f"{kind:<10} {len(times):>7,} {len(times) / elapsed:>7.1f} "
            f"{statistics.median(times) if times else 0:>8.1f} {percentile(times, 95):>8.1f} "
            f"{percentile(times, 99):>8.1f}"
        )
    for kind, messages in load.errors.items():
        for message in messages[:3]:
            print(f"  error ({kind}): {message}")
    acknowledged = load.acknowledged
    kept = sum(1 for pair, values in acknowledged.items() if stored.get(pair) in values)
    writes = sum(len(values) for values in acknowledged.values())
    print(
        f"values acknowledged: {len(acknowledged):,} (KPI, week) pairs"
        f" ({writes:,} distinct writes); stored holding an acknowledged value: {kept:,}"
    )
    read_p95 = percentile(load.times["api read"], 95)
    verdict = total > 0 and errors == 0 and kept == len(acknowledged) and read_p95 <= 100
    print(
        f"goal: 0 errors, stored = acknowledged, API read p95 <= 100 ms -> "
        f"{'met' if verdict else 'NOT met'} (API read p95 {read_p95:.1f} ms)"
    )
    recreate_database(base, name, create=False)


if __name__ == "__main__":
    main()
