"""The app under gunicorn in a subprocess, as production runs it, for tests that need a real
HTTP server against servers they may break (a private Redis, a private PostgreSQL)."""

from __future__ import annotations

import http.client
import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.conf import settings
from django.db import connection

from tests.faults.services import free_port, wait_for_port

ROOT = Path(__file__).resolve().parents[2]


def current_database_url() -> str:
    """The pytest database, for a subprocess (it exists only inside a django_db test)."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{db['USER']}@{quote(host, safe='')}/{db['NAME']}"
    password = f":{quote(db['PASSWORD'], safe='')}" if db["PASSWORD"] else ""
    return f"postgres://{db['USER']}{password}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


class AppServer:
    """`gunicorn perfmgmt.wsgi` with DEBUG off on a free port; `env` overrides the environment."""

    def __init__(self, *, database_url: str, redis_url: str = "", **env: str) -> None:
        self.port = free_port()
        self.env = {
            **os.environ,
            "DEBUG": "0",
            # The test process's keys, so sessions it signs in (force_login) hold here too and
            # the secrets it stored can be read.
            "SECRET_KEY": settings.SECRET_KEY,
            "FIELD_ENCRYPTION_KEYS": ",".join(settings.FIELD_ENCRYPTION_KEYS),
            # Plain HTTP on loopback, pages rendered without collectstatic: no HTTPS redirect,
            # cookies without Secure/__Host-, unhashed static files.
            "SECURE_SSL_REDIRECT": "0",
            "SECURE_COOKIES": "0",
            "STATIC_MANIFEST": "0",
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "DATABASE_URL": database_url,
            "REDIS_URL": redis_url,
            "LOG_LEVEL": "WARNING",
            **env,
        }
        self.process: subprocess.Popen | None = None

    def start(self) -> None:
        self.process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "perfmgmt.wsgi:application"]
            + ["--bind", f"127.0.0.1:{self.port}", "--workers", "1", "--threads", "4"]
            + ["--timeout", "30", "--graceful-timeout", "2"],
            cwd=ROOT,
            env=self.env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_for_port(self.port, seconds=20)
        # The worker imports Django after the socket is bound: wait for a real answer.
        deadline = time.monotonic() + 20
        while time.monotonic() < deadline:
            try:
                self.request("GET", "/healthz")
                return
            except OSError:
                time.sleep(0.1)
        raise RuntimeError("gunicorn did not answer /healthz within 20 s")

    def stop(self) -> str:
        """Stop the server; its stderr (gunicorn's and the app's log) is returned for asserts."""
        if self.process is None:
            return ""
        self.process.terminate()
        try:
            _, err = self.process.communicate(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            _, err = self.process.communicate(timeout=10)
        self.process = None
        return err.decode(errors="replace")

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
        timeout: float = 10,
    ) -> tuple[int, dict[str, str], bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            response = conn.getresponse()
            return response.status, dict(response.getheaders()), response.read()
        finally:
            conn.close()
