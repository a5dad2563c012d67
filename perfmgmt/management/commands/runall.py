"""`make run`: migrate, seed the demo on first run, then web + Celery worker + beat together.

Ctrl-C stops every process it started; the embedded PostgreSQL stops with the last of them.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from typing import Any

from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand, CommandParser

from perfmgmt.embedded import embedded_url
from perfmgmt.management.commands.seed_demo import ACME_PEOPLE, DEMO_PASSWORD


class Command(BaseCommand):
    help = "Run the web server, a Celery worker and Celery beat (the embedded default)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--addrport", default="127.0.0.1:8000")
        parser.add_argument("--no-seed", action="store_true")

    def handle(self, *args: Any, addrport: str, no_seed: bool, **options: Any) -> None:
        for folder in ("queue", "processed", "control"):
            (settings.VAR_DIR / "broker" / folder).mkdir(parents=True, exist_ok=True)
        call_command("migrate", interactive=False, verbosity=0)
        if not no_seed:
            call_command("seed_demo", if_empty=True)
        python = sys.executable
        commands = {
            # No autoreloader: its extra process would outlive Ctrl-C and keep the embedded
            # PostgreSQL registered as in use.
            "web": [python, "manage.py", "runserver", "--noreload", addrport],
            "worker": [
                python,
                "-m",
                "celery",
                "-A",
                "perfmgmt",
                "worker",
                "-l",
                "info",
                "--concurrency",
                "2",
            ],
            "beat": [python, "-m", "celery", "-A", "perfmgmt", "beat", "-l", "info"],
        }
        self._print_logins(addrport)
        # Ctrl-C and SIGTERM (a supervisor, `kill`) both stop the children cleanly.
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, signal.default_int_handler)
        env = dict(os.environ)
        if not settings.DATABASE_URL:
            # The children connect as clients of the embedded server this process started;
            # it stops when this process exits.
            env["DATABASE_URL"] = embedded_url(settings.DATABASES["default"])
        processes = {name: subprocess.Popen(cmd, env=env) for name, cmd in commands.items()}
        try:
            while all(p.poll() is None for p in processes.values()):
                time.sleep(0.5)
            dead = [name for name, p in processes.items() if p.poll() is not None]
            self.stderr.write(f"{', '.join(dead)} stopped; stopping the rest.")
        except KeyboardInterrupt:
            self.stdout.write("\nStopping web, worker and beat…")
        finally:
            for p in processes.values():
                if p.poll() is None:
                    p.send_signal(signal.SIGTERM)
            deadline = time.monotonic() + 15
            for p in processes.values():
                try:
                    p.wait(timeout=max(0.1, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    p.kill()

    def _print_logins(self, addrport: str) -> None:
        self.stdout.write(self.style.SUCCESS(f"\nperfmgmt is starting on http://{addrport}/"))
        self.stdout.write(f"Demo logins (password for all: {DEMO_PASSWORD}):")
        for username, first, last, role, team in ACME_PEOPLE:
            self.stdout.write(
                f"  {username:<12} {first} {last}, {role.label}" + (f" ({team})" if team else "")
            )
        self.stdout.write("  globex       Globex admin (the second organisation)")
        self.stdout.write("  consultant   viewer in both organisations\n")
