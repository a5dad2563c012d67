"""Production settings fail loudly when a required value is missing."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": "k3y-" + "abcdefghij" * 5,  # long and varied: accepted
    "ALLOWED_HOSTS": "perfmgmt.example.com",
    "DATABASE_URL": "postgres://u:p@db.example.com:5432/perfmgmt",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}


PRINT_DATABASE = (
    "from django.conf import settings; db = settings.DATABASES['default']; "
    "print(db['HOST'], db['CONN_HEALTH_CHECKS'])"
)


def load_settings(env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in PRODUCTION}
    return subprocess.run(
        [sys.executable, "-c", PRINT_DATABASE],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "perfmgmt.settings", **env},
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_production_settings_load_with_every_required_value():
    result = load_settings(PRODUCTION)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["db.example.com", "True"]


@pytest.mark.parametrize(
    "missing", ["SECRET_KEY", "ALLOWED_HOSTS", "DATABASE_URL", "FIELD_ENCRYPTION_KEYS"]
)
def test_production_refuses_to_start_without(missing):
    env = {k: v for k, v in PRODUCTION.items() if k != missing}
    result = load_settings(env)
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and missing in result.stderr


def test_a_non_postgres_database_is_refused():
    result = load_settings({**PRODUCTION, "DATABASE_URL": "sqlite:///db.sqlite3"})
    assert result.returncode != 0 and "PostgreSQL" in result.stderr


def test_a_malformed_boolean_is_refused():
    result = load_settings({**PRODUCTION, "DEBUG": "maybe"})
    assert result.returncode != 0 and "DEBUG" in result.stderr
