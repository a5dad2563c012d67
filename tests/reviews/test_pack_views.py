"""The pack page, its progress fragment and downloads, the owners' commentary pages and the
exports of what people see: each for the roles allowed, refused to the others, a 404 to
another organisation."""

from __future__ import annotations

import csv
import io

import pytest
from openpyxl import load_workbook

from metrics.models import MetricValue
from perfmgmt.history import object_history
from perfmgmt.tenancy import org_scope
from reviews.models import KpiCommentary, Pack, PackStatus
from reviews.packs.services import pack_build, pack_request
from tests.reviews.conftest import MONTH

MONTH_PARAM = f"{MONTH:%Y-%m}"


@pytest.fixture(autouse=True)
def _media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture
def ready(pack_world) -> Pack:
    world = pack_world.world
    pack, _ = pack_request(org=world.org, actor=world.finance, month=MONTH)
    return pack_build(org=world.org, pack_id=pack.pk)


def test_the_pack_page_is_for_finance_executives_and_admins(pack_world, client_for, globex):
    world = pack_world.world
    for member in (world.finance, world.executive, world.admin):
        page = client_for(member).get("/o/acme/packs/")
        assert page.status_code == 200
        assert "Generate pack" in page.content.decode()
    for member in (world.lead, world.member, world.viewer):
        refused = client_for(member).get("/o/acme/packs/")
        assert refused.status_code == 403
        assert "Packs are for finance, executives and admins." in refused.content.decode()
    assert client_for(globex.admin).get("/o/acme/packs/").status_code == 404


def test_generate_twice_shows_the_one_job_and_its_progress(pack_world, client_for):
    client = client_for(pack_world.world.finance)
    first = client.post("/o/acme/packs/", {"month": MONTH.isoformat()})
    second = client.post("/o/acme/packs/", {"month": MONTH.isoformat()})
    assert first.status_code == second.status_code == 302
    assert first["Location"] == second["Location"]
    with org_scope(pack_world.world.org):
        pack = Pack.objects.get()
    fragment = client.get(f"/o/acme/packs/{pack.pk}/", HTTP_HX_REQUEST="true")
    html = fragment.content.decode()
    assert '<progress id="progress-' in html and 'hx-trigger="every 1s"' in html
    assert "Waiting for a worker" in html
    assert "HX-Request" in fragment["Vary"]
    plain = client.get(f"/o/acme/packs/{pack.pk}/")
    assert plain.status_code == 200 and f'class="pack current" id="pack-{pack.pk}"' in (
        plain.content.decode()
    )


def test_a_bad_month_is_a_400_naming_the_field(pack_world, client_for):
    client = client_for(pack_world.world.finance)
    for month in ("2026-13-01", "", "1999-01-01", "\x00"):
        page = client.post("/o/acme/packs/", {"month": month})
        assert page.status_code == 400
        assert (
            "Select a valid choice" in page.content.decode() or "required" in page.content.decode()
        )
    refused = client.post("/o/acme/packs/", {"month": MONTH.isoformat(), "teams": ["nope"]})
    assert refused.status_code == 400


def test_a_ready_pack_stops_polling_and_offers_both_files(ready, pack_world, client_for):
    client = client_for(pack_world.world.finance)
    html = client.get(f"/o/acme/packs/{ready.pk}/", HTTP_HX_REQUEST="true").content.decode()
    assert "hx-trigger" not in html
    assert f"/o/acme/packs/{ready.pk}/pdf/" in html and f"/o/acme/packs/{ready.pk}/xlsx/" in html
    pdf = client.get(f"/o/acme/packs/{ready.pk}/pdf/")
    assert pdf.status_code == 200 and pdf["Content-Type"] == "application/pdf"
    assert pdf["Cache-Control"] == "private, no-store"
    assert 'filename="acme-business-review-2026-10-v1.pdf"' in pdf["Content-Disposition"]
    assert b"".join(pdf.streaming_content).startswith(b"%PDF")
    xlsx = client.get(f"/o/acme/packs/{ready.pk}/xlsx/")
    assert xlsx.status_code == 200
    assert load_workbook(io.BytesIO(b"".join(xlsx.streaming_content))).sheetnames[0] == "Summary"


def test_downloads_are_refused_to_other_roles_and_other_organisations(
    ready, pack_world, client_for, globex
):
    world = pack_world.world
    for path in (f"/o/acme/packs/{ready.pk}/pdf/", f"/o/acme/packs/{ready.pk}/xlsx/"):
        for member in (world.lead, world.member, world.viewer):
            assert client_for(member).get(path).status_code == 403
        assert client_for(globex.admin).get(path).status_code == 404
        assert client_for(globex.finance).get(path.replace("acme", "globex")).status_code == 404


def test_a_pack_without_files_yet_has_nothing_to_download(pack_world, client_for):
    world = pack_world.world
    pack, _ = pack_request(org=world.org, actor=world.finance, month=MONTH)
    assert client_for(world.finance).get(f"/o/acme/packs/{pack.pk}/pdf/").status_code == 404


def test_marking_presented_confirms_what_it_did(ready, pack_world, client_for):
    client = client_for(pack_world.world.finance)
    done = client.post(f"/o/acme/packs/{ready.pk}/present/", {"meeting": ""}, follow=True)
    assert "is marked as presented; its files are now frozen." in done.content.decode()
    again = client.post(f"/o/acme/packs/{ready.pk}/present/", follow=True)
    assert (
        "Only a ready pack that was not presented yet can be presented." in again.content.decode()
    )
    assert client.get(f"/o/acme/packs/{ready.pk}/present/").status_code == 405


def test_retry_is_for_failed_packs_only(ready, pack_world, client_for):
    client = client_for(pack_world.world.finance)
    page = client.post(f"/o/acme/packs/{ready.pk}/retry/", follow=True)
    assert "Only a pack that failed can be tried again." in page.content.decode()
    with org_scope(pack_world.world.org):
        Pack.objects.filter(pk=ready.pk).update(status=PackStatus.FAILED, error="It broke.")
    page = client.post(f"/o/acme/packs/{ready.pk}/retry/", follow=True)
    assert "is being generated again" in page.content.decode()


def test_the_owner_writes_commentary_in_place(pack_world, client_for):
    world, churn = pack_world.world, pack_world.churn
    client = client_for(world.lead)
    page = client.get(f"/o/acme/commentary/?month={MONTH_PARAM}").content.decode()
    assert "Logo churn" in page and "Accounts in red health" in page
    assert "Four mid-market logos" in page  # last word shown as the default
    prefix = str(churn.pk)
    saved = client.post(
        f"/o/acme/commentary/{churn.pk}/?month={MONTH_PARAM}",
        {
            f"{prefix}-analysis": "Churn eased in the last week.",
            f"{prefix}-next_step": "Keep calling.",
        },
        HTTP_HX_REQUEST="true",
    )
    assert saved.status_code == 200 and "Commentary saved." in saved.content.decode()
    with org_scope(world.org):
        words = KpiCommentary.objects.get(kpi=churn, month=MONTH)
        assert words.analysis == "Churn eased in the last week."
    edit, written = object_history(org=world.org, model=KpiCommentary, object_id=words.pk)
    assert edit.action == "update" and written.data["analysis"].startswith("Four mid-market")


def test_commentary_is_refused_empty_by_field_and_to_anyone_but_the_owner(
    pack_world, client_for, globex
):
    world, churn = pack_world.world, pack_world.churn
    prefix = str(churn.pk)
    url = f"/o/acme/commentary/{churn.pk}/?month={MONTH_PARAM}"
    empty = client_for(world.lead).post(url, {f"{prefix}-analysis": " ", f"{prefix}-next_step": ""})
    assert empty.status_code == 400 and "This field is required." in empty.content.decode()
    data = {f"{prefix}-analysis": "x", f"{prefix}-next_step": "y"}
    assert client_for(world.member).post(url, data).status_code == 403
    assert client_for(world.viewer).post(url, data).status_code == 403
    assert client_for(globex.admin).post(url, data).status_code == 404


def test_the_kpi_page_reads_the_commentary_history(pack_world, client_for):
    churn = pack_world.churn
    client = client_for(pack_world.world.viewer)
    kpi_page = client.get(f"/o/acme/kpis/{churn.pk}/").content.decode()
    assert f'hx-get="/o/acme/kpis/{churn.pk}/commentary/"' in kpi_page
    history = client.get(f"/o/acme/kpis/{churn.pk}/commentary/", HTTP_HX_REQUEST="true")
    assert "October 2026" in history.content.decode()
    assert "Four mid-market logos" in history.content.decode()


def test_what_i_owe_lists_the_commentary_due(pack_world, client_for, monkeypatch):
    from reviews import selectors

    monkeypatch.setattr(selectors, "last_closed_month", lambda org: MONTH)
    page = client_for(pack_world.world.lead).get("/o/acme/owe/").content.decode()
    assert "Commentary for October 2026" in page
    assert "Write commentary: Accounts in red health" in page
    assert "Write commentary: Logo churn" not in page  # written already


def test_the_kpi_values_export_neutralises_formulas(pack_world, client_for):
    world, churn = pack_world.world, pack_world.churn
    with org_scope(world.org):
        MetricValue.objects.filter(kpi=churn, period_date=MONTH).update(note="=1+1 or +cmd")
    client = client_for(world.member)
    text = client.get(f"/o/acme/kpis/{churn.pk}/values/export/").content.decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:2] == ["Period", "Value (%)"]
    assert rows[-1][:5] == ["2026-10-01", "2.47", "Preliminary", "Manual entry", "'=1+1 or +cmd"]
    book = load_workbook(
        io.BytesIO(client.get(f"/o/acme/kpis/{churn.pk}/values/export/?format=xlsx").content)
    )
    last = list(book.active.iter_rows(values_only=True))[-1]
    assert last[1] == 2.47 and last[4] == "'=1+1 or +cmd"


def test_exceptions_and_explorer_exports_hold_what_the_pages_show(pack_world, client_for, globex):
    client = client_for(pack_world.world.viewer)
    exceptions = client.get("/o/acme/exceptions/export/").content.decode("utf-8-sig")
    assert exceptions.splitlines()[0] == "Kind,KPI or objective,Owner,Why,Attention score,Signals"
    explorer = client.get("/o/acme/explorer/export/?perspective=financial&format=xlsx")
    names = [
        row[4]
        for row in load_workbook(io.BytesIO(explorer.content)).active.iter_rows(
            min_row=2, values_only=True
        )
    ]
    assert sorted(names) == ["New logos", "Revenue"]
    for path in (
        "/o/acme/exceptions/export/",
        "/o/acme/explorer/export/",
        f"/o/acme/kpis/{pack_world.churn.pk}/values/export/",
    ):
        assert client_for(globex.admin).get(path).status_code == 404


def test_the_cfo_chases_missing_commentary_once_a_day(pack_world, client_for, mailoutbox):
    world = pack_world.world
    client = client_for(world.finance)
    first = client.post("/o/acme/packs/chase/", follow=True).content.decode()
    assert "Reminded 1 owner." in first
    assert [m.to for m in mailoutbox] == [[world.lead.user.email]]
    assert "Revenue" in mailoutbox[0].body  # a key KPI: explained every month
    again = client.post("/o/acme/packs/chase/", follow=True).content.decode()
    assert "the owners were reminded today already" in again
    assert len(mailoutbox) == 1
    assert client_for(world.lead).post("/o/acme/packs/chase/").status_code == 403
    assert client.get("/o/acme/packs/chase/").status_code == 405
