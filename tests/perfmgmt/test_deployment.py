"""The production layout as an auditor reads it: docker-compose.yml, the image's ignore list, the
health probes, and a backup restored into a fresh database with every value found."""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
import time
import uuid
from importlib import metadata
from pathlib import Path
from urllib.parse import quote

import psycopg2
import pytest
import yaml
from django.db import connection

from metrics.models import MetricValue
from perfmgmt import probe
from perfmgmt.tenancy import org_scope
from tests.factories import KpiFactory, MetricValueFactory

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES = COMPOSE["services"]


def test_every_service_has_a_healthcheck():
    missing = [name for name, s in SERVICES.items() if name != "migrate" and "healthcheck" not in s]
    assert missing == []
    assert "inspect ping" in " ".join(SERVICES["worker"]["healthcheck"]["test"])
    assert SERVICES["beat"]["healthcheck"]["test"][-2:] == ["beat", "/tmp/celerybeat-schedule"]
    assert "/tmp/celerybeat-schedule" in SERVICES["beat"]["command"]


def test_migrations_run_once_before_the_app_starts():
    assert "migrate" in SERVICES["migrate"]["command"]
    assert SERVICES["migrate"]["restart"] == "no"
    for name in ("web", "worker", "beat"):
        assert "migrate" not in SERVICES[name]["command"]
        assert SERVICES[name]["depends_on"]["migrate"] == {
            "condition": "service_completed_successfully"
        }


def test_only_the_tls_proxy_publishes_ports_and_no_secret_is_written_in():
    assert [name for name, s in SERVICES.items() if s.get("ports")] == ["caddy"]
    text = (ROOT / "docker-compose.yml").read_text()
    assert "POSTGRES_PASSWORD: perfmgmt" not in text
    assert "${POSTGRES_PASSWORD:?" in text and "${REDIS_PASSWORD:?" in text
    assert SERVICES["web"]["environment"]["TRUSTED_PROXY"] == "${PROXY_ADDRESS:-172.28.0.10}"
    assert (
        SERVICES["caddy"]["networks"]["backend"]["ipv4_address"] == "${PROXY_ADDRESS:-172.28.0.10}"
    )


def test_the_image_leaves_out_secrets_history_and_local_data():
    ignored = (ROOT / ".dockerignore").read_text().split()
    for entry in (".env", ".git", ".venv", "var", "tests"):
        assert entry in ignored
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert "pip install --require-hashes" in dockerfile and "requirements.lock" in dockerfile


def test_the_lock_file_pins_every_package_with_a_hash():
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    pins = [line for line in lines if line and not line.startswith((" ", "#"))]
    assert len(pins) > 30
    assert all("==" in pin for pin in pins), [p for p in pins if "==" not in p]
    assert sum("--hash=sha256:" in line for line in lines) >= len(pins)
    for name in ("django==5.2", "celery==", "redis==", "plotly==", "croniter=="):
        assert any(pin.lower().startswith(name) for pin in pins), name


def test_the_tests_run_on_the_versions_the_image_installs():
    """The lock is what the tests passed with: every pinned package is installed at its pin."""
    lines = (ROOT / "requirements.lock").read_text().splitlines()
    pins = dict(line.split(" ")[0].split("==") for line in lines if "==" in line and line[0] != " ")
    differ = {}
    for name, pinned in pins.items():
        try:
            installed = metadata.version(name)
        except metadata.PackageNotFoundError:
            installed = None
        if installed != pinned:
            differ[name] = (pinned, installed)
    assert differ == {}, "run `make lock` or `make install` so the lock and .venv agree"


def test_the_beat_probe_reads_the_age_of_the_schedule_file(tmp_path, monkeypatch):
    schedule = tmp_path / "celerybeat-schedule"
    assert not probe.beat(str(schedule))
    (tmp_path / "celerybeat-schedule.db").write_bytes(b"x")  # dbm may add a suffix
    assert probe.beat(str(schedule))
    old = time.time() - 400
    os.utime(tmp_path / "celerybeat-schedule.db", (old, old))
    assert not probe.beat(str(schedule))


def test_the_web_probe_sends_the_served_host(live_server, monkeypatch, settings):
    port = int(live_server.url.rsplit(":", 1)[1])
    settings.ALLOWED_HOSTS = ["perfmgmt.example.com"]
    monkeypatch.setenv("ALLOWED_HOSTS", "perfmgmt.example.com,other.example.com")
    assert probe.web(port)
    monkeypatch.setenv("ALLOWED_HOSTS", "not-served.example.com")
    assert not probe.web(port), "a host Django does not serve gets 400: the probe must fail"


# --- backup and restore ----------------------------------------------------------------------


def _url(name: str) -> str:
    db = connection.settings_dict
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    host = db["HOST"] or "127.0.0.1"
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{name}"


@pytest.mark.django_db(transaction=True)
def test_a_backup_restored_into_a_fresh_database_holds_every_value(acme, tmp_path):
    """The README's procedure: pg_dump -Fc of the database, pg_restore into a new one."""
    for tool in ("pg_dump", "pg_restore"):
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is needed (Debian: postgresql-client)")
    kpis = [KpiFactory(organization=acme.org) for _ in range(3)]
    for kpi in kpis:
        for week in range(20):
            MetricValueFactory(kpi=kpi, period_date=dt.date(2026, 1, 5) + dt.timedelta(weeks=week))
    acme.org.slack_webhook_url = "https://hooks.example.com/services/T/B/token"
    acme.org.save()
    with org_scope(acme.org):
        original = sorted(MetricValue.objects.values_list("kpi_id", "period_date", "value"))
    assert len(original) >= 60

    dump = tmp_path / "perfmgmt.dump"
    source = connection.settings_dict["NAME"]
    subprocess.run(["pg_dump", "-Fc", "-f", str(dump), _url(source)], check=True, timeout=120)
    restored = f"restore_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(_url("postgres"))
    admin.autocommit = True
    try:
        admin.cursor().execute(f'CREATE DATABASE "{restored}"')
        subprocess.run(
            ["pg_restore", "--no-owner", "--exit-on-error", "-d", _url(restored), str(dump)],
            check=True,
            timeout=300,
        )
        with psycopg2.connect(_url(restored)) as copy, copy.cursor() as cursor:
            cursor.execute(
                "SELECT kpi_id, period_date, value FROM metrics_metricvalue "
                "WHERE organization_id = %s ORDER BY 1, 2, 3",
                [acme.org.pk],
            )
            found = cursor.fetchall()
            cursor.execute(
                "SELECT slack_webhook_url FROM perfmgmt_organization WHERE id = %s", [acme.org.pk]
            )
            token = cursor.fetchone()[0]
        copy.close()
        # The restored database answers the app: migrations are all applied there.
        env_check = subprocess.run(
            [sys.executable, "manage.py", "migrate", "--check"],
            cwd=ROOT,
            env={**os.environ, "DATABASE_URL": _url(restored)},
            capture_output=True,
            text=True,
            timeout=120,
        )
    finally:
        admin.cursor().execute(f'DROP DATABASE IF EXISTS "{restored}" WITH (FORCE)')
        admin.close()
    assert [(str(k), d, float(v)) for k, d, v in found] == [
        (str(k), d, float(v)) for k, d, v in original
    ]
    assert "token" not in token, "the backup holds the secret encrypted, as the database does"
    assert env_check.returncode == 0, env_check.stdout + env_check.stderr
