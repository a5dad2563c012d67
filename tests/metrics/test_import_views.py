from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile

from metrics.models import MetricValue
from perfmgmt.tenancy import org_scope


def upload(client, text: str, **extra):
    return client.post(
        "/o/acme/import/", {"csv_file": SimpleUploadedFile("v.csv", text.encode()), **extra}
    )


def count(world) -> int:
    with org_scope(world.org):
        return MetricValue.objects.count()


def test_an_import_is_previewed_then_confirmed(acme, acme_cascade, client_for):
    client = client_for(acme.lead)
    key = acme_cascade.kpi.key
    text = f"kpi,period_date,value,confidence\n{key},2026-07-01,80,audited\n{key},2026-08-01,85,\n"
    preview = upload(client, text).content.decode()
    assert "Preview: 2 values" in preview and count(acme) == 1
    done = client.post("/o/acme/import/", {"csv_text": text, "confirm": "1"}).content.decode()
    assert "Imported 2 values: 2 new" in done and count(acme) == 3


def test_a_file_with_a_bad_row_imports_nothing_and_names_the_row(acme, acme_cascade, client_for):
    key = acme_cascade.kpi.key
    text = f"kpi,period_date,value\n{key},2026-07-01,80\n{key},2026-08-01,NaN\nnope,2026-08-01,1\n"
    page = upload(client_for(acme.lead), text).content.decode()
    assert "Row 3 (value)" in page and "Row 4 (kpi)" in page
    page = (
        client_for(acme.lead)
        .post("/o/acme/import/", {"csv_text": text, "confirm": "1"})
        .content.decode()
    )
    assert "Nothing was imported" in page and count(acme) == 1


def test_a_file_without_the_columns_is_explained(acme, client_for):
    page = upload(client_for(acme.admin), "a,b\n1,2\n").content.decode()
    assert "no column kpi, period_date, value" in page


def test_a_viewer_cannot_import(acme, client_for):
    assert client_for(acme.viewer).get("/o/acme/import/").status_code == 403


def test_an_admin_sets_the_cadence_and_the_webhook_is_never_shown(acme, client_for):
    client = client_for(acme.admin)
    response = client.post(
        "/o/acme/settings/",
        {
            "name": "Acme",
            "timezone": "Europe/Berlin",
            "fiscal_year_start_month": "4",
            "checkin_weekday": "0",
            "checkin_hour": "9",
            "slack_webhook_url": "https://hooks.example.com/services/T0/B0/secret-token",
        },
    )
    assert response.status_code == 302
    acme.org.refresh_from_db()
    assert (acme.org.checkin_weekday, acme.org.checkin_hour) == (0, 9)
    page = client.get("/o/acme/settings/").content.decode()
    assert "secret-token" not in page and "A Slack webhook is configured" in page
    assert client_for(acme.lead).get("/o/acme/settings/").status_code == 403
