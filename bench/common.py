"""What the benchmarks share: a scratch database on the server of DATABASE_URL, a free port,
gunicorn on loopback, and waiting for it to answer."""

from __future__ import annotations

import json
import os
import secrets
import socket
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse, urlunparse

import psycopg2
import requests
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parents[1]


def scratch_url(base: str, suffix: str) -> tuple[str, str]:
    parts = urlparse(base)
    name = f"{parts.path.lstrip('/') or 'postgres'}_{suffix}"
    return name, urlunparse(parts._replace(path=f"/{name}"))


def recreate_database(base: str, name: str, *, create: bool = True) -> None:
    conn = psycopg2.connect(base)
    conn.autocommit = True
    with conn.cursor() as cur:
        cur.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        if create:
            cur.execute(f'CREATE DATABASE "{name}"')
    conn.close()


def app_env(url: str) -> dict[str, str]:
    """The app's environment for a benchmark: production settings (DEBUG off) on the scratch
    database; the per-key limit lifted, since a benchmark measures capacity with one key."""
    return {
        **os.environ,
        "DATABASE_URL": url,
        "DEBUG": "0",
        "SECRET_KEY": secrets.token_urlsafe(50),  # settings refuse a short key with DEBUG off
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        # Plain HTTP on loopback without collectstatic, as the fault tests' server.
        "SECURE_SSL_REDIRECT": "0",
        "SECURE_COOKIES": "0",
        "STATIC_MANIFEST": "0",
        "ALLOWED_HOSTS": "127.0.0.1",
        "API_THROTTLE_RATE": "1000000/minute",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "perfmgmt.settings",
    }


def run_django(env: dict[str, str], script: str) -> dict:
    """Run a Django script against the scratch database; its last line printed is JSON."""
    out = subprocess.run(
        [sys.executable, "-c", script],
        cwd=ROOT,
        env=env,
        check=True,
        stdout=subprocess.PIPE,  # the script's errors and diagnostics reach the terminal
        text=True,
    ).stdout
    return json.loads(out.strip().splitlines()[-1])


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def gunicorn(env: dict[str, str], port: int, workers: int) -> subprocess.Popen:
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "gunicorn",
            "perfmgmt.wsgi:application",
            "--bind",
            f"127.0.0.1:{port}",
            "--workers",
            str(workers),
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ],
        cwd=ROOT,
        env=env,
    )


def wait_for(url: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            requests.get(url, timeout=1)
            return
        except (requests.ConnectionError, requests.Timeout):  # not listening yet, or starting
            time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")
