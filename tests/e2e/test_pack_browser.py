"""The CFO writes nothing, presses Generate, watches the progress bar fill (a real Celery worker
makes the pack) and downloads a PDF of many pages; the owner's commentary is written in place."""

from __future__ import annotations

import io
import os

import pytest
from pypdf import PdfReader

from tests.e2e.conftest import log_in
from tests.reviews.conftest import MONTH, build_pack_world
from tests.workers import Workers, own_queue

pytestmark = [
    pytest.mark.e2e,
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(not os.environ.get("REDIS_URL"), reason="needs REDIS_URL (CI sets it)"),
]

MIN_PAGES = 6


@pytest.fixture
def worker(tmp_path, settings):
    settings.MEDIA_ROOT = tmp_path / "media"
    with own_queue() as queue:
        workers = Workers(queue=queue, mail_dir=tmp_path / "mail")
        workers.env["MEDIA_ROOT"] = str(settings.MEDIA_ROOT)
        workers.start()
        yield workers
        workers.stop_all()


def test_the_cfo_generates_watches_and_downloads_the_pack(acme, worker, page, screenshot):
    build_pack_world(acme)
    log_in(page, acme.finance.user.username)
    page.goto("/o/acme/packs/")
    screenshot("packs-empty")
    page.get_by_label("Month").select_option(MONTH.isoformat())
    page.get_by_role("button", name="Generate pack").click()
    progress = page.locator("article.pack.current progress")
    progress.wait_for()  # the bar is on the page while the worker runs
    assert int(progress.get_attribute("max")) == 100
    screenshot("pack-progress")
    download_link = page.get_by_role("link", name="Download PDF")
    download_link.wait_for(timeout=60_000)  # htmx polled the job until it was done
    assert page.locator("article.pack.current progress").count() == 0
    screenshot("pack-ready")
    with page.expect_download() as download:
        download_link.click()
    with open(download.value.path(), "rb") as saved:
        pdf = PdfReader(io.BytesIO(saved.read()))
    assert len(pdf.pages) > MIN_PAGES
    assert download.value.suggested_filename == "acme-business-review-2026-10-v1.pdf"
    page.set_viewport_size({"width": 390, "height": 844})
    screenshot("pack-ready-390")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390, f"the pack page scrolls sideways at 390 px ({width} px)"


def test_the_owner_writes_commentary_without_a_reload(acme, page, screenshot):
    world = build_pack_world(acme)
    log_in(page, acme.lead.user.username)
    page.goto(f"/o/acme/commentary/?month={MONTH:%Y-%m}")
    page.evaluate("window.__sameDocument = true")
    card = page.locator(f"#commentary-{world.health.pk}")
    card.get_by_label("Analysis").fill("Two accounts turned red after the price change.")
    card.get_by_label("Next step").fill("Account reviews with both by Friday.")
    card.get_by_role("button", name="Save commentary").click()
    page.locator(f"#commentary-{world.health.pk}").get_by_text("Commentary saved.").wait_for()
    assert page.evaluate("window.__sameDocument") is True
    screenshot("commentary-saved")
