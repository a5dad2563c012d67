"""Browser tests: Playwright driving Debian's Chromium against pytest-django's live server.

Every page a test loads is checked as it loads: axe-core (bundled by axe-playwright-python)
finds no serious or critical accessibility violation, the page does not scroll sideways at
the width it is shown, and the Content-Security-Policy blocked nothing. `screenshot(label)`
saves the page at 1440 px and at 390 px (a phone), checking it at both widths, into
test-artifacts/ (git-ignored; CI keeps them as artifacts) for a person to look at.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Error as PlaywrightError

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
CHROMIUM = os.environ.get("CHROMIUM_PATH") or shutil.which("chromium") or "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]

# Playwright's sync API runs an event loop in this thread; the ORM calls the tests make
# themselves (building data) are still ordinary synchronous code.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}; .ci/run installs Debian's chromium")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
        )
        yield browser
        browser.close()


# Every page a browser test visits is checked against the Content-Security-Policy: the
# browser reports each blocked script, style, image or connection as a
# `securitypolicyviolation` event, which this hands to the test process.
CSP_LISTENER = """
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolation(`${e.effectiveDirective} blocked ${e.blockedURI || "inline"}` +
    ` at ${e.sourceFile || document.location.pathname}:${e.lineNumber}`);
});
"""


@pytest.fixture
def csp_violations() -> list[str]:
    return []


DESKTOP = {"width": 1440, "height": 900}
PHONE = {"width": 390, "height": 844}
# axe-core's impact levels that fail a test; "minor" and "moderate" are reported by axe only.
FAILING_IMPACTS = {"serious", "critical"}
# Pages whose markup is not ours: the API's Swagger UI (a developer tool, drawn in the browser
# by swagger-ui's bundle) is checked against the CSP but not by axe.
NOT_OUR_MARKUP = ("/api/docs/",)
_AXE = Axe()


_busy: dict[int, bool] = {}


def page_problems(page, *, wait: bool = True) -> list[str]:
    """What is wrong with the page as it stands: serious or critical axe violations, and
    content wider than the viewport (a phone would scroll sideways).

    The load-event check and a screenshot's check can meet on one page (Playwright runs event
    handlers while the test waits); axe refuses a second run at once, so one waits for the
    other — or, for the load-event check, leaves the page to the screenshot's."""
    while _busy.get(id(page)):
        if not wait:
            return []
        page.wait_for_timeout(50)
    _busy[id(page)] = True
    try:
        return _problems(page)
    finally:
        _busy.pop(id(page), None)


# What htmx fetches as a page loads (hx-trigger="load") is part of the page: wait for it.
HTMX_SETTLED = """() => new Promise((resolve) => {
  const deadline = Date.now() + 5000;
  (function check() {
    const busy = document.querySelector(".htmx-request, .htmx-swapping, .htmx-settling");
    if (!busy || Date.now() > deadline) requestAnimationFrame(() => resolve());
    else setTimeout(check, 50);
  })();
})"""


def _problems(page) -> list[str]:
    page.evaluate(HTMX_SETTLED)
    where = page.url
    problems = []
    violations = [] if where.endswith(NOT_OUR_MARKUP) else _AXE.run(page).response["violations"]
    for violation in violations:
        if violation["impact"] in FAILING_IMPACTS:
            targets = ", ".join(str(node["target"]) for node in violation["nodes"][:3])
            problems.append(
                f"{where}: axe {violation['impact']} {violation['id']}: "
                f"{violation['help']} ({targets})"
            )
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if overflow[0] > overflow[1]:
        problems.append(
            f"{where}: {overflow[0]} px wide at a {overflow[1]} px viewport (scrolls sideways)"
        )
    return problems


def _check_loaded(page, problems: list[str]) -> None:
    if page.url.startswith("about:") or "/media/" in page.url or page.url.endswith(".pdf"):
        return
    try:
        problems.extend(page_problems(page, wait=False))
    except PlaywrightError as exc:
        # The test navigated on before the check ran; the next page is checked when it loads.
        if "context was destroyed" not in str(exc) and "navigat" not in str(exc):
            raise


@pytest.fixture
def page_checks() -> list[str]:
    return []


@pytest.fixture
def page(browser, live_server, csp_violations, page_checks) -> Iterator[object]:
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    context.expose_binding(
        "__cspViolation",
        lambda source, text: csp_violations.append(f"{source['page'].url}: {text}"),
    )
    context.add_init_script(CSP_LISTENER)
    page = context.new_page()
    page.on(
        "console",
        lambda message: (
            csp_violations.append(f"{page.url}: {message.text}")
            if message.type == "error" and "Content Security Policy" in message.text
            else None
        ),
    )
    page.on("load", lambda loaded: _check_loaded(loaded, page_checks))
    page.set_default_timeout(15_000)
    yield page
    context.close()
    blocked = "\n".join(dict.fromkeys(csp_violations))
    assert not csp_violations, f"the Content-Security-Policy blocked:\n{blocked}"
    found = "\n".join(dict.fromkeys(page_checks))
    assert not page_checks, f"pages with accessibility or layout problems:\n{found}"


@pytest.fixture
def screenshot(page, request, page_checks):
    """Save full-page screenshots named after the test and a label, at 1440 px and at 390 px,
    checking the page (axe, sideways scrolling) at both widths as it is now — after htmx
    swaps too, which no load event announces."""
    ARTIFACTS.mkdir(exist_ok=True)

    def take(label: str) -> Path:
        base = f"{request.node.name}-{label}"
        size = page.viewport_size
        try:
            for name, viewport in (("1440", DESKTOP), ("390", PHONE)):
                page.set_viewport_size(viewport)
                # Let the page's resize handlers and a frame of layout run first.
                page.evaluate("() => new Promise(r => requestAnimationFrame(() => r()))")
                page_checks.extend(page_problems(page))
                page.screenshot(path=str(ARTIFACTS / f"{base}-{name}.png"), full_page=True)
        finally:
            page.set_viewport_size(size)
        return ARTIFACTS / f"{base}-1440.png"

    return take


def log_in(page, username: str, password: str = "secret-pass-123") -> None:
    page.goto("/accounts/login/")
    page.get_by_label("Username").fill(username)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Log in").click()
