"""Real `celery worker` processes for tests, against the test database and a broker of choice.

Used by tests/test_worker.py (the shared Redis) and the fault tests (a private Redis they
restart). Each test gets a queue of its own, so parallel test runs never take each other's tasks.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from urllib.parse import quote

from django.db import connection
from kombu import pools

from perfmgmt.celery import app

ROOT = Path(__file__).resolve().parents[1]
VISIBILITY = 12  # seconds: a short visibility timeout makes redelivery quick enough to test
TIME_LIMIT = VISIBILITY - 2  # the hard task time limit must stay below it


def database_url() -> str:
    """The test database (pytest-django's test_ name), for processes started by the test."""
    db = connection.settings_dict
    host = db["HOST"] or "127.0.0.1"
    if host.startswith("/"):
        return f"postgres://{db['USER']}@{quote(host, safe='')}/{db['NAME']}"
    return f"postgres://{db['USER']}:{db['PASSWORD']}@{host}:{db['PORT'] or 5432}/{db['NAME']}"


def wait_until(check: Callable[[], bool], seconds: float, every: float = 0.5) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if check():
            return True
        time.sleep(every)
    return check()


def _forget_broker_connections() -> None:
    # The app keeps a pool of connections to the broker it first used; a new URL needs a new pool.
    if app._pool is not None:
        app._pool.force_close_all()
    app._pool = None
    app.amqp._producer_pool = None
    # Kombu also keeps its producer pools in a registry of its own, keyed by broker URL: one
    # left there would hand a later publish to the shared broker the pool just closed.
    pools.reset()


@contextlib.contextmanager
def own_queue(broker_url: str | None = None) -> Iterator[str]:
    """This process publishes to a fresh queue (and, if given, another broker) meanwhile."""
    name = f"test-{uuid.uuid4().hex[:8]}"
    previous_url = app.conf.broker_url
    app.conf.task_default_queue = name
    if broker_url:
        _forget_broker_connections()
        app.conf.broker_url = broker_url
    try:
        yield name
    finally:
        app.conf.task_default_queue = "celery"
        if broker_url:
            _forget_broker_connections()
            app.conf.broker_url = previous_url


class Workers:
    """Starts worker processes on one queue; `stop_all` ends those still running."""

    def __init__(self, *, queue: str, mail_dir: Path, broker_url: str | None = None) -> None:
        self.queue = queue
        self.started: list[subprocess.Popen] = []
        self.env = {
            **os.environ,
            "DATABASE_URL": database_url(),
            "CELERY_QUEUE": queue,
            "CELERY_VISIBILITY_TIMEOUT": str(VISIBILITY),
            "CELERY_TASK_TIME_LIMIT": str(TIME_LIMIT),
            "EMAIL_BACKEND": "django.core.mail.backends.filebased.EmailBackend",
            "EMAIL_FILE_PATH": str(mail_dir),
            "C_FORCE_ROOT": "1",
        }
        if broker_url:
            self.env["REDIS_URL"] = broker_url

    def start(self) -> subprocess.Popen:
        process = subprocess.Popen(
            [sys.executable, "-m", "celery", "-A", "perfmgmt", "worker", "-Q", self.queue]
            + ["--concurrency", "1", "-l", "info", "--without-gossip", "--without-mingle"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,  # its own process group: a SIGKILL takes the pool child too
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.started.append(process)
        deadline = time.monotonic() + 60
        assert process.stdout is not None
        for line in process.stdout:  # wait for "ready" before handing it work
            if "ready" in line:
                break
            if time.monotonic() > deadline:
                raise RuntimeError("worker did not start")
        threading.Thread(target=lambda: [None for _ in process.stdout], daemon=True).start()
        return process

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the worker and its pool: no goodbye, no acknowledgement."""
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=20)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
                try:
                    process.wait(timeout=20)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait(timeout=20)
