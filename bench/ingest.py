"""Benchmark: metric ingestion through the REST API against the database's own ceiling.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/ingest.py

It creates a scratch database (`<name>_bench_ingest` on the same server), migrates it, builds
one organisation with 2,000 KPIs and a read-write API key, and starts the app under gunicorn on
loopback. Then:

1. API: 200,000 values (2,000 KPIs x 100 weeks) pushed to the bulk endpoint in 10,000-value
   batches, CONCURRENCY requests at a time.
2. Ceiling: the same rows, after emptying the table, loaded straight into it with psycopg2:
   COPY into a staging table, then INSERT ... SELECT ... ON CONFLICT DO UPDATE, one batch per
   transaction, with the same concurrency.
3. Latency of single-value POSTs (p50/p95).

It prints values/s for both and the ratio API/ceiling (goal: >= 0.5). Not a test.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import os
import statistics
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

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

KPIS = 2_000
WEEKS = 100
BATCH = 10_000
CONCURRENCY = int(os.environ.get("BENCH_CONCURRENCY", "2"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
SINGLE_POSTS = 200


def build_world(env: dict[str, str]) -> tuple[str, list[str]]:
    """Migrate and create the organisation, its KPIs and a key; returns (secret, kpi keys)."""
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    script = f"""
import django, json
django.setup()
from django.contrib.auth import get_user_model
from metrics.models import Kpi
from perfmgmt.models import Role
from perfmgmt.services import api_key_create, membership_set, organization_create
from perfmgmt.tenancy import org_scope
user = get_user_model().objects.create_user("bench", password="bench-pass-123")
org = organization_create(name="Bench", slug="bench")
admin = membership_set(org=org, user=user, role=Role.ADMIN)
with org_scope(org):
    Kpi.objects.bulk_create([
        Kpi(organization=org, key=f"kpi-{{i}}", name=f"KPI {{i}}", kind="lag", cadence="weekly",
            outcome_owner=user, data_owner=user)
        for i in range({KPIS})
    ])
_, secret = api_key_create(org=org, actor=admin, name="bench", scope="read_write")
print(json.dumps({{"secret": secret, "org": org.pk}}))
"""
    data = run_django(env, script)
    return data["secret"], data["org"]


def rows() -> list[dict]:
    monday = dt.date(2026, 11, 16)
    weeks = [(monday - dt.timedelta(weeks=w)).isoformat() for w in range(WEEKS)]
    return [
        {"kpi": f"kpi-{k}", "period_date": day, "value": k * 0.5 + w, "confidence": "reconciled"}
        for k in range(KPIS)
        for w, day in enumerate(weeks)
    ]


def push_api(base: str, secret: str, batches: list[bytes]) -> float:
    headers = {"Authorization": f"Bearer {secret}", "Content-Type": "application/json"}

    def send(body: bytes) -> None:
        response = requests.post(f"{base}/values/bulk/", data=body, headers=headers, timeout=120)
        response.raise_for_status()
        assert response.json()["inserted"] == BATCH, response.text

    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(send, batches))
    return time.perf_counter() - start


CEILING_SQL = """
INSERT INTO metrics_metricvalue AS mv
    (organization_id, kpi_id, period_date, value, confidence, note, measured_at,
     source, recorded_by_id, created_at, updated_at)
SELECT %(org)s, kpi_id, period_date, value, confidence, '', NULL, 'api', NULL, now(), now()
FROM stage
ON CONFLICT (organization_id, kpi_id, period_date) DO UPDATE SET
    value = EXCLUDED.value, confidence = EXCLUDED.confidence, updated_at = EXCLUDED.updated_at
WHERE (mv.value, mv.confidence) IS DISTINCT FROM (EXCLUDED.value, EXCLUDED.confidence)
"""


def load_ceiling(url: str, org: int, batches: list[list[tuple]]) -> float:
    def load(batch: list[tuple]) -> None:
        conn = psycopg2.connect(url)
        with conn, conn.cursor() as cur:
            cur.execute(
                "CREATE TEMP TABLE stage (kpi_id uuid, period_date date,"
                " value double precision, confidence varchar(12)) ON COMMIT DROP"
            )
            text = "".join(f"{k}\t{d}\t{v!r}\t{c}\n" for k, d, v, c in batch)
            cur.copy_expert("COPY stage FROM STDIN", io.StringIO(text))
            cur.execute(CEILING_SQL, {"org": org})
        conn.close()

    start = time.perf_counter()
    with ThreadPoolExecutor(CONCURRENCY) as pool:
        list(pool.map(load, batches))
    return time.perf_counter() - start


def main() -> None:
    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("Set DATABASE_URL to a PostgreSQL server (the scratch database is made there).")
    name, url = scratch_url(base, "bench_ingest")
    recreate_database(base, name)
    port = free_port()
    env = app_env(url)
    secret, org = build_world(env)
    data = rows()
    bodies = [
        json.dumps({"values": data[i : i + BATCH]}).encode() for i in range(0, len(data), BATCH)
    ]
    server = gunicorn(env, port, WORKERS)
    api = f"http://127.0.0.1:{port}/api/v1/o/bench"
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz")
        requests.get(f"{api}/kpis/", headers={"Authorization": f"Bearer {secret}"}, timeout=10)
        api_seconds = push_api(api, secret, bodies)

        latencies = []
        headers = {"Authorization": f"Bearer {secret}"}
        for i in range(SINGLE_POSTS):
            body = {"kpi": f"kpi-{i}", "period_date": "2026-11-20", "value": i + 0.25}
            start = time.perf_counter()
            response = requests.post(f"{api}/values/", json=body, headers=headers, timeout=10)
            latencies.append((time.perf_counter() - start) * 1000)
            response.raise_for_status()
    finally:
        server.terminate()
        server.wait(timeout=30)

    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute("SELECT count(*) FROM metrics_metricvalue")
        stored = cur.fetchone()[0]
        cur.execute("SELECT id, key FROM metrics_kpi")
        ids = dict((key, kpi_id) for kpi_id, key in cur.fetchall())
        cur.execute("TRUNCATE metrics_metricvalue, metrics_metricvalueauditevent")
    conn.close()
    ceiling_rows = [(ids[r["kpi"]], r["period_date"], r["value"], r["confidence"]) for r in data]
    ceiling_batches = [ceiling_rows[i : i + BATCH] for i in range(0, len(ceiling_rows), BATCH)]
    ceiling_seconds = load_ceiling(url, org, ceiling_batches)

    total = len(data)
    api_rate, ceiling_rate = total / api_seconds, total / ceiling_seconds
    cuts = statistics.quantiles(latencies, n=20)
    print(f"values pushed:        {total:,} ({len(bodies)} x {BATCH:,}, concurrency {CONCURRENCY})")
    print(f"values stored by API: {stored:,}")
    print(f"API (gunicorn x{WORKERS}):   {api_rate:,.0f} values/s  ({api_seconds:.2f} s)")
    print(f"ceiling (COPY+upsert): {ceiling_rate:,.0f} values/s  ({ceiling_seconds:.2f} s)")
    print(f"ratio API/ceiling:    {api_rate / ceiling_rate:.2f}  (goal >= 0.5)")
    print(f"single-value POST:    p50 {statistics.median(latencies):.1f} ms, p95 {cuts[18]:.1f} ms")
    recreate_database(base, name, create=False)


if __name__ == "__main__":
    main()
