"""Benchmark: dashboard and cascade pages on a big database against the same organisation alone.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/dashboards.py

Builds two scratch databases on the server of DATABASE_URL with SQL (generate_series):

- big: ORGS organisations like Acme scaled up, each with KPIS KPIs carrying WEEKS weekly values
  (defaults 200 x 300 x 260: about 15.6 million values), plus targets, objectives, check-ins;
- alone: one such organisation.

Then it times each page for one organisation through Django's test client (server time, in one
process per database) and prints median and p95 per page and the ratio p95(big)/p95(alone).
Goals: every page p95 <= 150 ms; ratio <= 1.5. Not a test. Sizes: BENCH_ORGS, BENCH_KPIS,
BENCH_WEEKS; BENCH_RUNS timed requests per page and round; BENCH_ROUNDS rounds that alternate the
two databases, so a burst of noise on the machine falls on both alike. The big build takes about
15 minutes: BENCH_KEEP=1 keeps both databases and reuses them (migrated to the current code) on
the next run with the same sizes.
"""

from __future__ import annotations

import importlib
import json
import os
import secrets
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]
ORGS = int(os.environ.get("BENCH_ORGS", "200"))
KPIS = int(os.environ.get("BENCH_KPIS", "300"))
WEEKS = int(os.environ.get("BENCH_WEEKS", "260"))
RUNS = int(os.environ.get("BENCH_RUNS", "20"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
KEEP = os.environ.get("BENCH_KEEP", "") not in ("", "0")
OBJECTIVES = 40

BUILD_SQL = r"""
INSERT INTO auth_user (username, password, is_superuser, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT 'admin' || o, '!', false, 'Admin', o::text, '', false, true, now()
FROM generate_series(1, %(orgs)s) o;

INSERT INTO perfmgmt_organization (name, slug, timezone, fiscal_year_start_month,
    checkin_weekday, checkin_hour, slack_webhook_url, require_2fa_for_admins, created_at)
SELECT 'Org ' || o, 'org-' || o, 'UTC', 1, 4, 10, '', false, now()
FROM generate_series(1, %(orgs)s) o;

INSERT INTO perfmgmt_team (id, organization_id, name, slug, lead_id)
SELECT gen_random_uuid(), org.id, 'Team ' || t, 'team-' || t, u.id
FROM perfmgmt_organization org
JOIN auth_user u ON u.username = 'admin' || substr(org.slug, 5)
CROSS JOIN generate_series(1, 5) t;

INSERT INTO perfmgmt_membership (organization_id, user_id, role, created_at)
SELECT org.id, u.id, 'admin', now() FROM perfmgmt_organization org
JOIN auth_user u ON u.username = 'admin' || substr(org.slug, 5);

INSERT INTO objectives_strategicpriority (id, organization_id, title, description, perspective,
    owner_id, rank, horizon_start, horizon_end, is_active, created_at, updated_at)
SELECT gen_random_uuid(), m.organization_id, 'Priority ' || p, '',
       (ARRAY['financial','customer','internal','learning'])[p], m.user_id, p,
       date '2026-01-01', date '2028-12-31', true, now(), now()
FROM perfmgmt_membership m CROSS JOIN generate_series(1, 4) p;

INSERT INTO objectives_objective (id, organization_id, title, description, team_id, owner_id,
    priority_id, period_kind, period_start, period_end, created_at, updated_at)
SELECT gen_random_uuid(), pr.organization_id, 'Objective ' || pr.rank || '.' || n, '',
       (SELECT t.id FROM perfmgmt_team t WHERE t.organization_id = pr.organization_id
        ORDER BY t.slug LIMIT 1 OFFSET (n %% 5)),
       pr.owner_id, pr.id, 'year', date '2026-01-01', date '2026-12-31', now(), now()
FROM objectives_strategicpriority pr CROSS JOIN generate_series(1, %(objectives)s / 4) n;

INSERT INTO metrics_kpi (id, organization_id, key, name, description, unit, direction, kind,
    cadence, aggregation, objective_id, outcome_owner_id, data_owner_id, is_key, created_at,
    updated_at)
SELECT gen_random_uuid(), o.organization_id, 'kpi-' || o.rn || '-' || k, 'KPI ' || o.rn || '.' || k,
       '', '', 'higher', CASE WHEN k %% 2 = 0 THEN 'lead' ELSE 'lag' END, 'weekly', 'last',
       o.id, o.owner_id, o.owner_id, (o.rn = 1 AND k <= 2) OR (o.rn = 2 AND k <= 4), now(), now()
FROM (SELECT id, organization_id, owner_id,
             row_number() OVER (PARTITION BY organization_id ORDER BY title) rn
      FROM objectives_objective) o
CROSS JOIN generate_series(1, %(kpis)s / %(objectives)s) k;

-- Spread KPI ownership over nine more people per organisation: the admin keeps about a tenth.
INSERT INTO auth_user (username, password, is_superuser, first_name, last_name, email,
                       is_staff, is_active, date_joined)
SELECT 'owner' || o || '_' || n, '!', false, 'Owner', n::text, '', false, true, now()
FROM generate_series(1, %(orgs)s) o CROSS JOIN generate_series(1, 9) n;

INSERT INTO perfmgmt_membership (organization_id, user_id, role, created_at)
SELECT org.id, u.id, 'member', now() FROM perfmgmt_organization org
JOIN auth_user u ON u.username LIKE 'owner' || substr(org.slug, 5) || '\_%%';

UPDATE metrics_kpi k SET outcome_owner_id = u.id, data_owner_id = u.id
FROM perfmgmt_organization org, auth_user u
WHERE k.organization_id = org.id AND abs(hashtext(k.key)) %% 10 <> 0
  AND u.username = 'owner' || substr(org.slug, 5) || '_' || (abs(hashtext(k.key)) %% 9 + 1);

INSERT INTO metrics_target (organization_id, kpi_id, period_start, period_end, value,
    green_threshold, amber_threshold, created_at, updated_at)
SELECT k.organization_id, k.id, q, (q + interval '3 months' - interval '1 day')::date,
       100, 100, 90, now(), now()
FROM metrics_kpi k CROSS JOIN generate_series(date '2022-01-01', date '2026-10-01',
                                               interval '3 months') q;

INSERT INTO metrics_metricvalue (organization_id, kpi_id, period_date, value, confidence, source,
    note, measured_at, recorded_by_id, created_at, updated_at)
SELECT k.organization_id, k.id, (date '2026-11-16' - 7 * w), 80 + (w * 7 + length(k.key)) %% 30,
       'reconciled', 'import', '', NULL, NULL, now(), now()
FROM metrics_kpi k CROSS JOIN generate_series(0, %(weeks)s - 1) w;

INSERT INTO reviews_checkin (organization_id, objective_id, week_start, author_id, status,
    progress, confidence, reason, blockers, next_steps, submitted_at, updated_at)
SELECT o.organization_id, o.id, date '2026-11-16' - 7 * w, o.owner_id, 'on_track', 50,
       3 + (w %% 7), CASE WHEN 3 + (w %% 7) <= 4 THEN 'slipping' ELSE '' END, '', '', now(), now()
FROM objectives_objective o CROSS JOIN generate_series(1, 8) w;
ANALYZE;
"""

PAGES = [
    "dashboard/",
    "dashboard/?view=lead",
    "dashboard/?view=finance",
    "dashboard/?view=member",
    "exceptions/",
    "",
    "explorer/",
    "explorer/{priority}/",
    "map/",
    "kpis/{kpi}/",
]


def scratch(base: str, suffix: str) -> tuple[str, str]:
    parts = urlparse(base)
    name = f"{parts.path.lstrip('/') or 'postgres'}_bench_dash_{suffix}"
    return name, urlunparse(parts._replace(path=f"/{name}"))


def build(base: str, suffix: str, orgs: int) -> str:
    name, url = scratch(base, suffix)
    sizes = f"perfmgmt bench orgs={orgs} kpis={KPIS} weeks={WEEKS}"
    env = {**os.environ, "DATABASE_URL": url}
    admin = psycopg2.connect(base)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(
            "SELECT shobj_description(oid, 'pg_database') FROM pg_database WHERE datname = %s",
            [name],
        )
        found = cur.fetchone()
        if KEEP and found and found[0] == sizes:
            admin.close()
            subprocess.run(
                [sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True
            )
            print(f"reusing {name} ({sizes})")
            return url
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        cur.execute(f'CREATE DATABASE "{name}"')
    admin.close()
    subprocess.run([sys.executable, "manage.py", "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    start = time.perf_counter()
    conn = psycopg2.connect(url)
    with conn, conn.cursor() as cur:
        cur.execute(
            BUILD_SQL,
            {"orgs": orgs, "kpis": KPIS, "weeks": WEEKS, "objectives": OBJECTIVES},
        )
        cur.execute("SELECT count(*) FROM metrics_metricvalue")
        values = cur.fetchone()[0]
        cur.execute(f'COMMENT ON DATABASE "{name}" IS %s', [sizes])
    conn.close()
    print(f"built {name}: {orgs} orgs, {values:,} values in {time.perf_counter() - start:.0f} s")
    return url


def measure() -> None:
    """Runs in a child process with DATABASE_URL set: time every page for org-1."""
    # The process set up as gunicorn's workers are: perfmgmt.wsgi loads Django, then freezes
    # what it loaded out of the garbage collector's full passes.
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "perfmgmt.settings")
    importlib.import_module("perfmgmt.wsgi")
    from django.contrib.auth import get_user_model
    from django.test import Client
    from django_scopes import scopes_disabled

    from metrics.models import Kpi
    from objectives.models import StrategicPriority

    with scopes_disabled():
        priority = StrategicPriority.objects.filter(organization__slug="org-1").first()
        kpi = Kpi.objects.filter(organization__slug="org-1", is_key=True).first()
    client = Client()
    client.force_login(get_user_model().objects.get(username="admin1"))
    results = {}
    for page in PAGES:
        url = "/o/org-1/" + page.format(priority=priority.pk, kpi=kpi.pk)
        assert client.get(url).status_code == 200, url  # warm up
        times = []
        for _ in range(RUNS):
            start = time.perf_counter()
            response = client.get(url)
            times.append((time.perf_counter() - start) * 1000)
            assert response.status_code == 200
        results[page or "cascade"] = times
    print(json.dumps(results))


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[18]


def main() -> None:
    base = os.environ.get("DATABASE_URL")
    if not base:
        sys.exit("Set DATABASE_URL to a PostgreSQL server (scratch databases are made there).")
    urls = {"big": build(base, "big", ORGS), "alone": build(base, "alone", 1)}
    results: dict[str, dict[str, list[float]]] = {"big": {}, "alone": {}}
    for _ in range(ROUNDS):
        for label, url in urls.items():
            out = subprocess.run(
                [sys.executable, __file__, "--measure"],
                cwd=ROOT,
                env={
                    **os.environ,
                    "DATABASE_URL": url,
                    "DEBUG": "0",
                    "SECRET_KEY": secrets.token_urlsafe(50),
                    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
                    "SECURE_SSL_REDIRECT": "0",
                    "STATIC_MANIFEST": "0",
                    "ALLOWED_HOSTS": "testserver",
                },
                check=True,
                capture_output=True,
                text=True,
            ).stdout
            for page, times in json.loads(out.strip().splitlines()[-1]).items():
                results[label].setdefault(page, []).extend(times)
    runs = ROUNDS * RUNS
    print(f"\n{runs} requests per page and database; server time in ms")
    print(
        f"{'page':24} {'median':>8} {'p95':>8} {'median alone':>13} {'p95 alone':>10} {'ratio':>6}"
    )
    worst_p95, worst_ratio = 0.0, 0.0
    for page, times in results["big"].items():
        alone = results["alone"][page]
        ratio = p95(times) / p95(alone)
        worst_p95, worst_ratio = max(worst_p95, p95(times)), max(worst_ratio, ratio)
        median = statistics.median(times)
        print(
            f"{page:24} {median:8.1f} {p95(times):8.1f} {statistics.median(alone):13.1f}"
            f" {p95(alone):10.1f} {ratio:6.2f}"
        )
    print(f"\nworst p95 on the big database: {worst_p95:.1f} ms (goal <= 150)")
    print(f"worst ratio p95(big)/p95(alone): {worst_ratio:.2f} (goal <= 1.5)")
    for url in [] if KEEP else urls.values():
        name = urlparse(url).path.lstrip("/")
        admin = psycopg2.connect(base)
        admin.autocommit = True
        with admin.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.close()


if __name__ == "__main__":
    if "--measure" in sys.argv:
        measure()
    else:
        main()
