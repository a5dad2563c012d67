"""The pack's job and files: one job per Generate, a PDF read back section by section, a
workbook read back cell by cell, frozen once presented, failures shown and retried."""

from __future__ import annotations

import datetime as dt
import io
import subprocess
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from openpyxl import load_workbook
from pypdf import PdfReader

from perfmgmt.tenancy import org_scope
from reviews.models import Pack, PackStatus, ReviewMeeting
from reviews.packs import services
from reviews.packs.services import pack_build, pack_present, pack_request, pack_retry
from tests.reviews.conftest import FORMULA, MONTH

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def built(world, month=MONTH, **filters) -> Pack:
    pack, started = pack_request(org=world.org, actor=world.finance, month=month, **filters)
    assert started
    done = pack_build(org=world.org, pack_id=pack.pk)
    assert done is not None and done.status == PackStatus.DONE, done and done.error
    return done


def pdf_pages(pack: Pack) -> list[str]:
    with pack.pdf.open("rb") as stored:
        return [page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages]


def page_with(pages: list[str], heading: str) -> str:
    """The text of the section that starts with `heading`, over all its pages: up to the next
    page that starts a section the table of contents lists."""
    contents = next(text for text in pages if text.startswith("Contents"))
    titles = {line.split(" ..")[0].strip() for line in contents.splitlines()[1:] if " .." in line}
    titles.add("Contents")
    starts = [i for i, text in enumerate(pages) if text.splitlines()[0].strip() == heading]
    assert starts, f"no page starts with {heading!r}"
    text = [pages[starts[0]]]
    for following in pages[starts[0] + 1 :]:
        if following.splitlines()[0].strip() in titles:
            break
        text.append(following)
    return "\n".join(text)


def test_pressing_generate_twice_starts_one_job(pack_world):
    world = pack_world.world
    first, started = pack_request(org=world.org, actor=world.finance, month=MONTH)
    again, started_again = pack_request(org=world.org, actor=world.executive, month=MONTH)
    assert started and not started_again
    assert again.pk == first.pk
    with org_scope(world.org):
        assert Pack.objects.count() == 1


def test_a_second_generate_after_the_first_is_done_makes_the_next_version(pack_world):
    first = built(pack_world.world)
    second = built(pack_world.world)
    assert (first.version, second.version) == (1, 2)
    assert first.snapshot == second.snapshot  # same data, same numbers and words


def test_the_pdf_shows_each_section_with_its_numbers_words_and_commentary(pack_world):
    pack = built(pack_world.world)
    pages = pdf_pages(pack)
    assert pack.pdf_pages == len(pages) >= 6
    cover = pages[0]
    assert "Acme" in cover and "October 2026" in cover and "Confidential" in cover
    assert "Version" in cover and "Data as of" in cover
    contents = page_with(pages, "Contents")
    assert "Executive summary" in contents and "Targets moved during the period" in contents
    summary = page_with(pages, "Executive summary")
    assert "Logo churn was 2.47% against a target of 2.14% (+15.4 % adverse)" in summary
    financial = page_with(pages, "Financial · Grow revenue")
    assert "Revenue" in financial and "102 €k" in financial and "On target" in financial
    assert "Reconciled" in financial  # the confidence grade of the number
    assert "Four mid-market logos" not in financial  # churn's words belong to Customer
    customer = page_with(pages, "Customer · Délight customers — 顧客満足")
    assert "Logo churn" in customer and "Off target" in customer and "Preliminary" in customer
    assert "Four mid-market logos left after the onboarding backlog." in customer
    assert "No commentary from" in customer  # health's owner has not written
    moved = page_with(pages, "Targets moved during the period")
    assert "Logo churn" in moved and "2%" in moved and "2.14%" in moved
    actions = page_with(pages, "Decisions and open actions")
    assert "Freeze hiring in Support." in actions and "Review churn drivers" in actions
    quality = page_with(pages, "Data quality")
    assert "Estimate" in quality and "Net promoter score" in quality
    assert all(f"of {len(pages)}" in text for text in pages[1:])  # page X of Y


def test_the_first_pages_are_kept_as_pictures_for_a_person_to_look_at(pack_world, tmp_path):
    pack = built(pack_world.world)
    ARTIFACTS.mkdir(exist_ok=True)
    with pack.pdf.open("rb") as stored:
        pdf = tmp_path / "pack.pdf"
        pdf.write_bytes(stored.read())
    prefix = ARTIFACTS / "pack-page"
    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "4", str(pdf), str(prefix)], check=True
    )
    assert len(list(ARTIFACTS.glob("pack-page-*.png"))) >= 4


def test_the_workbook_holds_numbers_dates_and_text_that_never_runs(pack_world):
    pack = built(pack_world.world)
    with pack.xlsx.open("rb") as stored:
        book = load_workbook(io.BytesIO(stored.read()))
    assert book.sheetnames == [
        "Summary",
        "Financial",
        "Customer",
        "Commentary",
        "Actions",
        "Targets moved",
        "Values",
    ]
    customer = book["Customer"]
    assert customer.freeze_panes == "A2"
    assert customer.auto_filter.ref == "A1:U4"
    header = [c.value for c in customer[1]]
    rows = {r[0].value: r for r in customer.iter_rows(min_row=2)}
    churn = rows["Logo churn"]
    actual = churn[header.index("Actual")]
    assert actual.value == 2.47 and actual.data_type == "n" and '"%"' in actual.number_format
    assert churn[header.index("Target")].value == 2.14
    assert churn[header.index("Status")].value == "Off target"
    assert churn[header.index("Favourable")].value == "No"
    assert churn[header.index("Confidence")].value == "Preliminary"
    values = book["Values"]
    first = next(values.iter_rows(min_row=2))
    assert isinstance(first[3].value, dt.datetime)  # a date cell, not text
    commentary = {r[0].value: r for r in book["Commentary"].iter_rows(min_row=2)}
    analysis = commentary["Revenue"][2]
    assert analysis.data_type == "s" and analysis.value == "'" + FORMULA
    assert commentary["Revenue"][3].value.startswith("'@")
    for sheet in book.worksheets:
        for row in sheet.iter_rows():
            for cell in row:
                assert cell.data_type != "f", f"{sheet.title}!{cell.coordinate} is a formula"


def test_presenting_freezes_the_pack_and_stamps_it(pack_world):
    world = pack_world.world
    pack = built(world)
    with org_scope(world.org):
        meeting = ReviewMeeting.objects.get()
    presented = pack_present(org=world.org, actor=world.finance, pack=pack, meeting=meeting)
    assert presented.status == PackStatus.QUEUED and presented.presented_at is not None
    stamped = pack_build(org=world.org, pack_id=pack.pk)
    assert stamped is not None and stamped.status == PackStatus.DONE
    assert stamped.snapshot == pack.snapshot
    assert "As presented at the Monthly business review on 7 Oct 2026" in pdf_pages(stamped)[0]
    with pytest.raises(ValidationError):
        pack_present(org=world.org, actor=world.finance, pack=stamped)
    later = built(world)  # regenerating makes a new version; the presented one stays
    assert later.version == 2 and later.presented_at is None


def test_a_failing_pack_says_so_and_can_be_tried_again(pack_world, monkeypatch):
    world = pack_world.world
    pack, _ = pack_request(org=world.org, actor=world.finance, month=MONTH)

    def broken(context):
        raise OSError("fonts are missing")

    monkeypatch.setattr(services, "render_pdf", broken)
    assert pack_build(org=world.org, pack_id=pack.pk) is None
    with org_scope(world.org):
        failed = Pack.objects.get(pk=pack.pk)
    assert failed.status == PackStatus.FAILED
    assert "could not be generated (OSError)" in failed.error
    assert "fonts are missing" not in failed.error  # no internals on the page
    monkeypatch.undo()
    again = pack_retry(org=world.org, actor=world.finance, pack=failed)
    assert again.status == PackStatus.QUEUED and again.version == 1
    assert pack_build(org=world.org, pack_id=pack.pk).status == PackStatus.DONE


def test_a_job_taken_by_one_worker_is_not_built_by_another(pack_world):
    world = pack_world.world
    pack = built(world)
    assert pack_build(org=world.org, pack_id=pack.pk) is None


def test_the_sweep_hands_out_lost_jobs_again_and_fails_dead_ones(pack_world, settings):
    world = pack_world.world
    lost, _ = pack_request(org=world.org, actor=world.finance, month=MONTH)
    dead, _ = pack_request(org=world.org, actor=world.finance, month=dt.date(2026, 9, 1))
    long_ago = timezone.now() - dt.timedelta(hours=1)
    with org_scope(world.org):
        Pack.objects.filter(pk=lost.pk).update(due_at=long_ago)
        Pack.objects.filter(pk=dead.pk).update(status=PackStatus.RUNNING, started_at=long_ago)
    assert [p.pk for p in services.packs_sweep()] == [lost.pk]
    assert services.packs_sweep() == []  # handed out once
    with org_scope(world.org):
        assert Pack.objects.get(pk=dead.pk).status == PackStatus.FAILED


def test_only_finance_executives_and_admins_make_packs(pack_world):
    world = pack_world.world
    for member in (world.lead, world.member, world.viewer):
        with pytest.raises(PermissionDenied):
            pack_request(org=world.org, actor=member, month=MONTH)
    for member in (world.admin, world.executive):
        assert pack_request(org=world.org, actor=member, month=MONTH)[0].month == MONTH


def test_bad_months_teams_and_perspectives_are_refused_by_name(pack_world, globex):
    world = pack_world.world
    future = timezone.localdate().replace(day=1) + dt.timedelta(days=40)
    for month, teams, perspectives, field in [
        (future, [], [], "month"),
        (dt.date(1999, 1, 1), [], [], "month"),
        (MONTH, ["no-such-team"], [], "teams"),
        (MONTH, [globex.sales.slug + "-x"], [], "teams"),
        (MONTH, [], ["astrology"], "perspectives"),
    ]:
        with pytest.raises(ValidationError) as refused:
            pack_request(
                org=world.org,
                actor=world.finance,
                month=month,
                teams=teams,
                perspectives=perspectives,
            )
        assert field in refused.value.message_dict


def test_a_pack_for_one_team_lists_that_team_only(pack_world):
    pack = built(pack_world.world, teams=["support"])
    assert pack.snapshot["kpi_count"] == 0
    assert pack.teams == ["support"]


def test_the_automatic_pack_is_made_once_on_its_day_and_announced_by_link(
    pack_world, settings, mailoutbox
):
    world = pack_world.world
    settings.PACK_AUTO_WORKING_DAY = 2  # October closes on Saturday 31: Tuesday 3 November
    monday = dt.datetime(2026, 11, 2, 9, 0, tzinfo=dt.UTC)
    assert services.packs_auto(org=world.org, now=monday) is None
    tuesday = monday + dt.timedelta(days=1)
    pack = services.packs_auto(org=world.org, now=tuesday)
    assert pack is not None and pack.automatic and pack.month == MONTH
    assert services.packs_auto(org=world.org, now=tuesday) is None  # once
    done = pack_build(org=world.org, pack_id=pack.pk)
    assert services.pack_announce(org=world.org, pack=done) == 2  # the executive and finance
    services.pack_announce(org=world.org, pack=done)  # a second run sends nothing again
    assert sorted(m.to[0] for m in mailoutbox) == sorted(
        [world.executive.user.email, world.finance.user.email]
    )
    body = mailoutbox[0].body
    assert f"/o/acme/packs/?pack={pack.pk}" in body
    assert not mailoutbox[0].attachments  # a link, never the file


def test_no_automatic_pack_unless_switched_on(pack_world, settings):
    settings.PACK_AUTO_WORKING_DAY = 0
    now = dt.datetime(2026, 11, 20, 9, 0, tzinfo=dt.UTC)
    assert services.packs_auto(org=pack_world.world.org, now=now) is None


def test_an_organisation_with_one_perspective_and_no_reviews_renders(globex):
    from tests.conftest import build_cascade

    cascade = build_cascade(globex)  # one financial priority, objective and KPI
    pack = built(globex, month=dt.date(2026, 6, 1))
    pages = pdf_pages(pack)
    summary = page_with(pages, "Executive summary")
    assert cascade.kpi.name in " ".join(pages)
    assert "No review meeting was held in June 2026." in page_with(
        pages, "Decisions and open actions"
    )
    assert [p["total"] for p in pack.snapshot["summary"] if p["total"]] == [1]
    assert "Executive summary" in summary
