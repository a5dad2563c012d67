"""The demo organisation's pack for last month, generated as CI's evidence that the whole thing
works on believable data: every perspective, the commentary owners wrote, the target finance
moved, the review's decisions, and a workbook whose numbers are the ones the KPIs hold."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from openpyxl import load_workbook
from pypdf import PdfReader

from metrics.models import Kpi, MetricValue
from perfmgmt.models import Membership, Organization
from perfmgmt.periods import last_closed_month
from perfmgmt.tenancy import org_scope
from reviews.packs.services import pack_build, pack_request


@pytest.fixture(scope="module")
def demo_pack(django_db_setup, django_db_blocker, tmp_path_factory):
    from django.conf import settings

    media = tmp_path_factory.mktemp("media")
    previous, settings.MEDIA_ROOT = settings.MEDIA_ROOT, media
    with django_db_blocker.unblock():
        try:
            call_command("seed_demo", force=True)  # tests run with DEBUG off
            org = Organization.objects.get(slug="acme")
            with org_scope(org):
                cfo = Membership.objects.get(user__username="cfo")
            pack, _ = pack_request(org=org, actor=cfo, month=last_closed_month(org))
            yield org, pack_build(org=org, pack_id=pack.pk)
        finally:
            Organization.objects.all().delete()
            from django.contrib.auth import get_user_model

            get_user_model().objects.all().delete()
            settings.MEDIA_ROOT = previous


@pytest.mark.django_db
def test_the_demo_pack_shows_every_part_on_believable_data(demo_pack):
    org, pack = demo_pack
    assert pack.status == "done", pack.error
    with pack.pdf.open("rb") as stored:
        text = [page.extract_text() for page in PdfReader(io.BytesIO(stored.read())).pages]
    whole = "\n".join(text)
    assert len(text) >= 15
    for heading in ("Financial ·", "Customer ·", "Internal process ·", "Learning & growth ·"):
        assert heading in whole
    assert "Two enterprise renewals moved to December" in whole  # an owner's analysis
    assert "No commentary from" in whole  # and the ones the CFO still has to chase
    moved = next(t for t in text if t.startswith("Targets moved during the period"))
    assert "Sales cycle length" in moved and "Felix Morgan" in moved
    assert "Monthly business review" in next(t for t in text if t.startswith("Decisions"))
    for word in ("On target", "At risk", "Off target", "Preliminary", "Reconciled"):
        assert word in whole


@pytest.mark.django_db
def test_the_demo_workbook_holds_the_numbers_the_kpis_hold(demo_pack):
    org, pack = demo_pack
    with pack.xlsx.open("rb") as stored:
        book = load_workbook(io.BytesIO(stored.read()))
    financial = book["Financial"]
    header = [c.value for c in financial[1]]
    rows = {r[0].value: r for r in financial.iter_rows(min_row=2)}
    with org_scope(org):
        arr = Kpi.objects.get(key="arr")  # monthly, the last value of the month
        stored_value = MetricValue.objects.get(kpi=arr, period_date=pack.month).value
    actual = rows[arr.name][header.index("Actual")]
    assert actual.value == stored_value and actual.data_type == "n"
