"""Two-factor sign-in with an authenticator app: set up, asked for at every sign-in, throttled,
turned off, and required of an organisation's admins when it says so."""

from __future__ import annotations

import time

import pytest
from django.test import Client
from django_otp.oath import TOTP
from django_otp.plugins.otp_totp.models import TOTPDevice

from perfmgmt.twofactor import totp_setup_confirm, totp_setup_start

PASSWORD = "secret-pass-123"


def code(device: TOTPDevice, offset: int = 0) -> str:
    totp = TOTP(device.bin_key, device.step, device.t0, device.digits)
    totp.time = time.time() + offset
    return f"{totp.token():06d}"


def sign_in(username: str) -> Client:
    client = Client()
    response = client.post("/accounts/login/", {"username": username, "password": PASSWORD})
    assert response.status_code == 302
    return client


@pytest.fixture
def enrolled(acme) -> TOTPDevice:
    user = acme.executive.user
    device = totp_setup_start(user=user)
    return totp_setup_confirm(user=user, token=code(device))


def test_a_person_sets_up_an_app_from_the_page(acme, client_for):
    client = client_for(acme.member)
    assert "Off." in client.get("/accounts/two-factor/").content.decode()
    started = client.post("/accounts/two-factor/", {"action": "start"})
    page = started.content.decode()
    assert "data:image/svg+xml" in page and 'id="totp-secret"' in page
    assert "no-store" in started["Cache-Control"]
    device = TOTPDevice.objects.get(user=acme.member.user)
    assert not device.confirmed
    wrong = client.post("/accounts/two-factor/", {"action": "confirm", "token": "000000"})
    assert wrong.status_code == 400 and "not right" in wrong.content.decode()
    done = client.post(
        "/accounts/two-factor/", {"action": "confirm", "token": code(device)}, follow=True
    )
    assert "Two-factor sign-in is on" in done.content.decode()
    assert TOTPDevice.objects.get(user=acme.member.user).confirmed


def test_a_sign_in_asks_for_the_code_before_any_page(acme, enrolled):
    client = sign_in(acme.executive.user.username)
    blocked = client.get("/o/acme/dashboard/")
    assert blocked.status_code == 302
    assert blocked["Location"].startswith("/accounts/two-factor/verify/?next=/o/acme/dashboard/")
    assert client.get("/api/v1/o/acme/kpis/").status_code == 403
    wrong = client.post("/accounts/two-factor/verify/", {"token": "123456"})
    assert wrong.status_code == 400
    enrolled.refresh_from_db()
    enrolled.throttling_failure_timestamp = None  # the wrong try above throttles the next one
    enrolled.throttling_failure_count = 0
    enrolled.save()
    right = client.post(
        "/accounts/two-factor/verify/",
        {"token": code(enrolled, offset=30), "next": "/o/acme/dashboard/"},
    )
    assert right.status_code == 302 and right["Location"] == "/o/acme/dashboard/"
    assert client.get("/o/acme/dashboard/").status_code == 200


def test_wrong_codes_are_throttled(acme, enrolled):
    client = sign_in(acme.executive.user.username)
    client.post("/accounts/two-factor/verify/", {"token": "000000"})
    # Straight after a wrong code, even the right one is refused for a while.
    refused = client.post("/accounts/two-factor/verify/", {"token": code(enrolled, offset=30)})
    assert refused.status_code == 400
    assert client.get("/o/acme/dashboard/").status_code == 302


def test_a_used_code_does_not_work_twice(acme, enrolled):
    token = code(enrolled, offset=30)  # the next step's code: not used by the set-up
    first = sign_in(acme.executive.user.username)
    assert first.post("/accounts/two-factor/verify/", {"token": token}).status_code == 302
    second = sign_in(acme.executive.user.username)
    assert second.post("/accounts/two-factor/verify/", {"token": token}).status_code == 400


def test_turning_it_off_needs_a_current_code(acme, enrolled):
    client = sign_in(acme.executive.user.username)
    token = code(enrolled, offset=30)
    assert client.post("/accounts/two-factor/verify/", {"token": token}).status_code == 302
    refused = client.post("/accounts/two-factor/", {"action": "disable", "token": "999999"})
    assert refused.status_code == 400 and TOTPDevice.objects.filter(user=enrolled.user).exists()
    enrolled.refresh_from_db()
    enrolled.throttling_failure_timestamp, enrolled.throttling_failure_count = None, 0
    enrolled.save()
    done = client.post(
        "/accounts/two-factor/", {"action": "disable", "token": code(enrolled, offset=60)}
    )
    assert done.status_code == 302 and not TOTPDevice.objects.filter(user=enrolled.user).exists()
    assert sign_in(acme.executive.user.username).get("/o/acme/dashboard/").status_code == 200


def test_an_organisation_can_require_it_of_its_admins(acme, client_for):
    acme.org.require_2fa_for_admins = True
    acme.org.save()
    admin = client_for(acme.admin)
    response = admin.get("/o/acme/dashboard/")
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/two-factor/?next=/o/acme/dashboard/")
    assert "requires its admins" in admin.get(response["Location"]).content.decode()
    # Other roles are not asked to.
    assert client_for(acme.member).get("/o/acme/dashboard/").status_code == 200


def test_an_admin_with_an_app_passes_the_organisation_rule(acme):
    acme.org.require_2fa_for_admins = True
    acme.org.save()
    device = totp_setup_start(user=acme.admin.user)
    device = totp_setup_confirm(user=acme.admin.user, token=code(device))
    client = sign_in(acme.admin.user.username)
    client.post("/accounts/two-factor/verify/", {"token": code(device, offset=30)})
    assert client.get("/o/acme/dashboard/").status_code == 200


def test_the_admin_turns_the_rule_on_in_the_settings(acme, client_for):
    response = client_for(acme.admin).post(
        "/o/acme/settings/",
        {
            "name": "Acme",
            "timezone": "UTC",
            "fiscal_year_start_month": 1,
            "checkin_weekday": 4,
            "checkin_hour": 10,
            "require_2fa_for_admins": "on",
        },
    )
    assert response.status_code == 302
    acme.org.refresh_from_db()
    assert acme.org.require_2fa_for_admins
