from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone
from rest_framework.test import APIClient

from perfmgmt.models import ApiKey
from perfmgmt.services import api_key_create, api_key_revoke
from perfmgmt.tenancy import org_scope


def test_a_key_is_stored_only_as_a_hash(acme):
    key, secret = api_key_create(org=acme.org, actor=acme.admin, name="warehouse")
    assert secret.startswith(f"pm_{key.prefix}_")
    with org_scope(acme.org):
        stored = ApiKey.objects.get()
    assert secret not in stored.key_hash and len(stored.key_hash) == 64


@pytest.mark.parametrize("role", ["executive", "finance", "lead", "member", "viewer"])
def test_only_admins_create_keys(acme, role):
    with pytest.raises(PermissionDenied):
        api_key_create(org=acme.org, actor=getattr(acme, role), name="x")


def test_a_key_cannot_expire_in_the_past(acme):
    with pytest.raises(ValidationError) as error:
        api_key_create(
            org=acme.org,
            actor=acme.admin,
            name="x",
            expires_at=timezone.now() - dt.timedelta(minutes=1),
        )
    assert "expires_at" in error.value.message_dict


def test_an_admin_of_another_organisation_cannot_revoke_a_key(acme, globex):
    key, _ = api_key_create(org=acme.org, actor=acme.admin, name="x")
    with pytest.raises(ValidationError):
        api_key_revoke(org=acme.org, actor=globex.admin, key=key)
    with pytest.raises(ValidationError):
        api_key_revoke(org=globex.org, actor=globex.admin, key=key)


def test_a_fresh_key_reads_and_records_its_last_use(acme, acme_cascade, key_client):
    client = key_client(acme, scope="read")
    assert client.get("/api/v1/o/acme/kpis/").status_code == 200
    with org_scope(acme.org):
        assert ApiKey.objects.get().last_used_at is not None


def test_a_revoked_key_is_refused(acme, acme_cascade, key_client):
    client = key_client(acme)
    with org_scope(acme.org):
        key = ApiKey.objects.get()
    api_key_revoke(org=acme.org, actor=acme.admin, key=key)
    response = client.get("/api/v1/o/acme/kpis/")
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_an_expired_key_is_refused(acme, acme_cascade, key_client):
    client = key_client(acme, expires_at=timezone.now() + dt.timedelta(hours=1))
    with org_scope(acme.org):
        ApiKey.objects.update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get("/api/v1/o/acme/kpis/")
    assert response.status_code == 401 and "expired" in response.json()["detail"]


def test_a_read_only_key_cannot_write(acme, acme_cascade, key_client):
    client = key_client(acme, scope="read")
    body = {"values": [{"kpi": acme_cascade.kpi.key, "period_date": "2026-10-01", "value": 1}]}
    response = client.post("/api/v1/o/acme/values/bulk/", body, format="json")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]


def test_a_made_up_key_is_refused(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer pm_deadbeef_not-a-real-secret")
    assert client.get("/api/v1/o/acme/kpis/").status_code == 401


def test_a_key_in_the_query_string_is_refused(acme, acme_cascade, key_client):
    secret = key_client(acme).secret
    response = APIClient().get(f"/api/v1/o/acme/kpis/?api_key={secret}")
    assert response.status_code == 400
    assert "Authorization header" in response.json()["detail"]


def test_a_key_sees_nothing_of_another_organisation(acme, globex_cascade, key_client):
    client = key_client(acme)
    assert client.get("/api/v1/o/globex/kpis/").status_code == 404
    assert client.get(f"/api/v1/o/acme/kpis/{globex_cascade.kpi.pk}/").status_code == 404
    body = {"values": [{"kpi": globex_cascade.kpi.key, "period_date": "2026-10-01", "value": 1}]}
    response = client.post("/api/v1/o/acme/values/bulk/", body, format="json")
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "kpi"


def test_admins_create_and_revoke_keys_in_the_browser(acme, client_for):
    client = client_for(acme.admin)
    page = client.post(
        "/o/acme/settings/api-keys/", {"name": "CRM export", "scope": "read_write"}
    ).content.decode()
    with org_scope(acme.org):
        key = ApiKey.objects.get(name="CRM export")
    assert f"pm_{key.prefix}_" in page and "will not be shown again" in page
    # Shown once: the list page never repeats it.
    assert (
        "will not be shown again" not in client.get("/o/acme/settings/api-keys/").content.decode()
    )
    response = client.post(f"/o/acme/settings/api-keys/{key.pk}/revoke/")
    assert response.status_code == 302
    key.refresh_from_db()
    assert key.revoked_at is not None


def test_members_cannot_open_the_key_page(acme, client_for):
    assert client_for(acme.executive).get("/o/acme/settings/api-keys/").status_code == 403


def test_a_value_written_by_a_key_records_the_key_and_so_does_its_history(
    acme, acme_cascade, key_client
):
    from metrics.models import MetricValue
    from perfmgmt.history import object_history
    from perfmgmt.models import ApiKey
    from perfmgmt.tenancy import org_scope

    client = key_client(acme)
    kpi = acme_cascade.kpi
    for value in (41.0, 42.5):
        response = client.post(
            "/api/v1/o/acme/values/bulk/",
            {"values": [{"kpi": kpi.key, "period_date": "2026-03-01", "value": value}]},
            format="json",
        )
        assert response.status_code == 200, response.json()
    with org_scope(acme.org):
        key = ApiKey.objects.get(name="warehouse")
        stored = MetricValue.objects.get(kpi=kpi, period_date="2026-03-01")
    assert (stored.recorded_by_key, stored.recorded_by) == (key, None)
    update, _ = object_history(org=acme.org, model=MetricValue, object_id=stored.pk)
    assert [(f.old, f.new) for f in update.fields if f.name == "value"] == [(41.0, 42.5)]
    assert (update.actor, update.actor_kind) == ("API key warehouse", "api key")
