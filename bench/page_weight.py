"""Benchmark: bytes a browser transfers for the dashboard and a KPI page, first and repeat visit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/postgres .venv/bin/python bench/page_weight.py

It creates a scratch database (`<name>_bench_weight` on the same server), migrates it, seeds the
demo organisation, builds the static files as production does (collectstatic: hashed names,
gzip and Brotli copies) and starts the app under gunicorn with production settings (DEBUG off,
WhiteNoise serving the hashed files with year-long immutable cache headers). Then Chromium
(Playwright), signed in as the demo executive with a cold cache, opens each page twice, in a
fresh browser context per page: the first visit, then a repeat visit in the same context. The
bytes are what went over the wire (Chrome DevTools' encodedDataLength: compressed bodies plus
headers), summed over every request the page made, by kind.
Goal: a repeat visit transfers at most 50 KB. Not a test.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections import Counter
from pathlib import Path

from common import (
    ROOT,
    app_env,
    free_port,
    gunicorn,
    recreate_database,
    run_django,
    scratch_url,
    wait_for,
)

CHROMIUM = os.environ.get("CHROMIUM_PATH") or "/usr/bin/chromium"
PASSWORD = "perfmgmt-demo"  # the demo's, from seed_demo


def measure(context, url: str) -> tuple[int, Counter, int]:
    """Open url in a new page; the bytes transferred in all, by resource type, and requests."""
    page = context.new_page()
    cdp = context.new_cdp_session(page)
    cdp.send("Network.enable")
    kinds: dict[str, str] = {}
    sizes: Counter = Counter()
    cdp.on("Network.requestWillBeSent", lambda e: kinds.__setitem__(e["requestId"], e["type"]))
    cdp.on(
        "Network.loadingFinished",
        lambda e: sizes.__setitem__(
            kinds.get(e["requestId"], "Other"),
            sizes[kinds.get(e["requestId"], "Other")] + int(e["encodedDataLength"]),
        ),
    )
    page.goto(url, wait_until="networkidle")
    page.close()
    return sum(sizes.values()), sizes, len(kinds)


def main() -> None:
    from playwright.sync_api import sync_playwright

    base = os.environ["DATABASE_URL"]
    name, url = scratch_url(base, "bench_weight")
    recreate_database(base, name)
    static_root = tempfile.mkdtemp(prefix="bench-static-")
    env = {**app_env(url), "STATIC_MANIFEST": "1", "STATIC_ROOT": static_root}
    manage = [sys.executable, "manage.py"]
    subprocess.run([*manage, "migrate", "-v0"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "seed_demo", "--force"], cwd=ROOT, env=env, check=True)
    subprocess.run([*manage, "collectstatic", "--noinput", "-v0"], cwd=ROOT, env=env, check=True)
    kpi = run_django(
        env,
        "import django, json; django.setup()\n"
        "from metrics.models import Kpi\n"
        "k = Kpi.objects.with_scopes_disabled().filter(is_key=True).order_by('name').first()\n"
        "print(json.dumps({'org': k.organization.slug, 'id': str(k.pk), 'name': k.name}))",
    )
    port = free_port()
    server = gunicorn(env, port, workers=2)
    origin = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{origin}/healthz")
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
            login = browser.new_context(base_url=origin)
            page = login.new_page()
            page.goto("/accounts/login/")
            page.get_by_label("Username").fill("ceo")
            page.get_by_label("Password").fill(PASSWORD)
            page.get_by_role("button", name="Log in").click()
            page.wait_for_url("**/dashboard/")
            signed_in = login.storage_state()
            login.close()
            pages = {
                "dashboard": f"/o/{kpi['org']}/dashboard/",
                f"KPI page ({kpi['name']})": f"/o/{kpi['org']}/kpis/{kpi['id']}/",
            }
            print(f"{'page':<44} {'visit':<7} {'KB':>8} {'requests':>9}  by kind (KB)")
            worst_repeat = 0
            for label, path in pages.items():
                context = browser.new_context(base_url=origin, storage_state=signed_in)
                for visit in ("first", "repeat"):
                    total, by_kind, requests = measure(context, path)
                    kinds = ", ".join(f"{k} {v / 1024:.1f}" for k, v in by_kind.most_common())
                    print(f"{label:<44} {visit:<7} {total / 1024:>8.1f} {requests:>9}  {kinds}")
                    if visit == "repeat":
                        worst_repeat = max(worst_repeat, total)
                context.close()
            browser.close()
        verdict = "met" if worst_repeat <= 50 * 1024 else "NOT met"
        largest = f"largest repeat {worst_repeat / 1024:.1f} KB"
        print(f"goal: repeat visit <= 50 KB: {verdict} ({largest})")
    finally:
        server.terminate()
        server.wait(timeout=20)
        if os.environ.get("BENCH_KEEP", "") in ("", "0"):
            recreate_database(base, name, create=False)
        subprocess.run(["rm", "-rf", static_root], check=False)


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent))
    main()
