"""The core's own pages: API keys and organisation settings, written through form_submit."""

from __future__ import annotations

from perfmgmt.models import ApiKey
from perfmgmt.tenancy import org_scope


def test_a_rejected_key_is_a_400_with_the_reason_on_the_field(acme, client_for):
    response = client_for(acme.admin).post(
        "/o/acme/settings/api-keys/",
        {"name": "old", "scope": "read", "expires_at": "2001-01-01T00:00"},
    )
    assert response.status_code == 400
    assert "The expiry must lie in the future." in response.content.decode()
    with org_scope(acme.org):
        assert not ApiKey.objects.exists()


def test_a_created_key_is_shown_once_with_a_200(acme, client_for):
    response = client_for(acme.admin).post(
        "/o/acme/settings/api-keys/", {"name": "warehouse", "scope": "read"}
    )
    assert response.status_code == 200 and "will not be shown again" in response.content.decode()


def test_a_rejected_setting_is_a_400_and_changes_nothing(acme, client_for):
    response = client_for(acme.admin).post(
        "/o/acme/settings/",
        {
            "name": "Acme",
            "timezone": "Mars/Olympus",
            "fiscal_year_start_month": "4",
            "checkin_weekday": "0",
            "checkin_hour": "9",
        },
    )
    assert response.status_code == 400
    acme.org.refresh_from_db()
    assert (acme.org.timezone, acme.org.fiscal_year_start_month) == ("UTC", 1)


def test_another_organisations_admin_cannot_open_the_pages(acme, globex, client_for):
    client = client_for(globex.admin)
    assert client.get("/o/acme/settings/").status_code == 404
    assert client.get("/o/acme/settings/api-keys/").status_code == 404


def test_non_admins_are_refused_with_one_sentence(acme, client_for):
    response = client_for(acme.finance).get("/o/acme/settings/api-keys/")
    assert response.status_code == 403
    assert "Only admins manage API keys." in response.content.decode()
