"""Container health checks: `python -m perfmgmt.probe web|beat`. Exit 0 healthy, 1 not.

- web: GET /healthz from inside the container, with the Host header of the first of
  ALLOWED_HOSTS (Django answers 400 to a host it does not serve, and the probe must not need
  an exception in ALLOWED_HOSTS). /healthz is exempt from the HTTPS redirect.
- beat: the schedule file was written recently. Beat saves its schedule at least every three
  minutes while it runs tasks (ours run every minute), so a file older than BEAT_STALE_SECONDS
  (300) means beat is stuck or gone.

The worker is checked with `celery inspect ping` (see docker-compose.yml). No Django set-up
here: a probe runs every few seconds and must stay cheap.
"""

from __future__ import annotations

import glob
import os
import sys
import time
import urllib.error
import urllib.request


def web(port: int = 8000) -> bool:
    host = (os.environ.get("ALLOWED_HOSTS") or "localhost").split(",")[0].strip()
    request = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": host})
    try:
        with urllib.request.urlopen(request, timeout=4) as response:  # noqa: S310 - loopback
            return bool(response.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def beat(schedule: str) -> bool:
    # The dbm module may add a suffix (.db, .dat) to the file name it is given.
    files = glob.glob(f"{glob.escape(schedule)}*")
    if not files:
        return False
    stale = float(os.environ.get("BEAT_STALE_SECONDS") or 300)
    return time.time() - max(os.path.getmtime(f) for f in files) < stale


def main(argv: list[str]) -> int:
    if argv[:1] == ["web"]:
        return 0 if web() else 1
    if argv[:1] == ["beat"] and len(argv) == 2:
        return 0 if beat(argv[1]) else 1
    print("usage: python -m perfmgmt.probe web | beat <schedule file>", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
