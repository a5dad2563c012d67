"""Signing in: lockout after repeated failures (login page and admin), session timeouts,
password change and reset by email, and the password rules."""

from __future__ import annotations

import re
import time

import pytest
from axes.models import AccessAttempt
from django.contrib.auth import get_user_model
from django.core import mail
from django.core.management import call_command
from django.test import Client

from perfmgmt.middleware import LAST_SEEN_AT, SIGNED_IN_AT

PASSWORD = "secret-pass-123"  # the factories' password


def log_in(client: Client, username: str, password: str, path: str = "/accounts/login/"):
    return client.post(path, {"username": username, "password": password})


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


@pytest.fixture
def ceo(acme):
    return acme.executive.user


def test_a_right_password_signs_in(client, ceo):
    response = log_in(client, ceo.username, PASSWORD)
    assert response.status_code == 302 and signed_in(client)


def test_the_account_is_locked_after_five_failures_even_for_the_right_password(
    client, ceo, settings
):
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert log_in(client, ceo.username, "wrong-password-1").status_code == 200
    locked = log_in(client, ceo.username, "wrong-password-1")
    assert locked.status_code == 429
    response = log_in(Client(REMOTE_ADDR="10.9.9.9"), ceo.username, PASSWORD)
    assert response.status_code == 429, "another address does not unlock the account"
    text = response.content.decode()
    assert "Sign-in is locked for now" in text and ceo.username in text
    assert not signed_in(client)


def test_one_address_is_locked_after_failures_across_accounts(client, acme):
    usernames = [m.user.username for m in (acme.admin, acme.finance, acme.lead, acme.member)]
    for username in usernames + [acme.viewer.user.username]:
        log_in(client, username, "wrong-password-1")
    response = log_in(client, acme.executive.user.username, PASSWORD)
    assert response.status_code == 429 and not signed_in(client)
    # Someone elsewhere is not held up by that address.
    other = Client(REMOTE_ADDR="10.1.2.3")
    assert log_in(other, acme.executive.user.username, PASSWORD).status_code == 302


def test_the_admin_login_is_locked_as_well(client, db):
    get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    for _ in range(5):
        assert log_in(client, "root", "wrong-password-1", "/admin/login/").status_code in (
            200,
            429,
        )
    assert log_in(Client(), "root", PASSWORD, "/admin/login/").status_code == 429


def test_an_admin_unlocks_an_account_from_the_admin(client, ceo, db):
    for _ in range(5):
        log_in(client, ceo.username, "wrong-password-1")
    assert AccessAttempt.objects.filter(username=ceo.username).exists()
    root = get_user_model().objects.create_superuser("root", "root@example.com", PASSWORD)
    operator = Client(REMOTE_ADDR="10.0.0.7")
    operator.force_login(root)
    attempts = list(AccessAttempt.objects.values_list("pk", flat=True))
    listing = operator.get("/admin/axes/accessattempt/")
    assert listing.status_code == 200 and ceo.username in listing.content.decode()
    confirmed = operator.post(
        "/admin/axes/accessattempt/",
        {"action": "delete_selected", "_selected_action": attempts, "post": "yes"},
    )
    assert confirmed.status_code == 302
    assert log_in(Client(REMOTE_ADDR="10.0.0.8"), ceo.username, PASSWORD).status_code == 302


def test_the_reset_command_unlocks_an_account(client, ceo):
    for _ in range(5):
        log_in(client, ceo.username, "wrong-password-1")
    call_command("axes_reset_username", ceo.username)
    # The address was locked too (one address, five failures): a fresh address signs in.
    assert log_in(Client(REMOTE_ADDR="10.0.0.9"), ceo.username, PASSWORD).status_code == 302


def test_a_success_clears_the_earlier_failures(client, ceo):
    for _ in range(4):
        log_in(client, ceo.username, "wrong-password-1")
    assert log_in(client, ceo.username, PASSWORD).status_code == 302
    client.logout()
    for _ in range(4):
        log_in(client, ceo.username, "wrong-password-1")
    assert log_in(client, ceo.username, PASSWORD).status_code == 302


def _age_session(client: Client, key: str, seconds: int) -> None:
    session = client.session
    session[key] = int(time.time()) - seconds
    session.save()


def test_an_idle_session_is_signed_out(client, ceo, settings):
    assert log_in(client, ceo.username, PASSWORD).status_code == 302
    assert client.get("/o/acme/dashboard/").status_code == 200
    _age_session(client, LAST_SEEN_AT, settings.SESSION_IDLE_SECONDS + 5)
    response = client.get("/o/acme/dashboard/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert not signed_in(client)
    page = client.get(response["Location"])
    assert "signed out after a while without activity" in page.content.decode()


def test_an_active_session_ends_at_the_absolute_limit(client, ceo, settings):
    assert log_in(client, ceo.username, PASSWORD).status_code == 302
    _age_session(client, SIGNED_IN_AT, settings.SESSION_ABSOLUTE_SECONDS + 5)
    response = client.get("/o/acme/dashboard/")
    assert response.status_code == 302 and not signed_in(client)


def test_a_session_used_within_the_idle_limit_stays(client, ceo, settings):
    assert log_in(client, ceo.username, PASSWORD).status_code == 302
    _age_session(client, LAST_SEEN_AT, settings.SESSION_IDLE_SECONDS - 30)
    assert client.get("/o/acme/dashboard/").status_code == 200
    # The request counted as activity: last seen moved to now.
    assert int(time.time()) - client.session[LAST_SEEN_AT] < 5


def test_a_password_change_applies_the_rules_and_works(client, ceo):
    client.force_login(ceo)
    short = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": "x7-kq!pz", "new_password2": "x7-kq!pz"},
    )
    assert short.status_code == 200
    assert "at least 12 characters" in short.content.decode()
    for weak in ("password1234", "123456789012"):  # common; entirely numeric
        refused = client.post(
            "/accounts/password/change/",
            {"old_password": PASSWORD, "new_password1": weak, "new_password2": weak},
        )
        assert refused.status_code == 200, weak
    new = "plum-harbour-tractor-42"
    done = client.post(
        "/accounts/password/change/",
        {"old_password": PASSWORD, "new_password1": new, "new_password2": new},
    )
    assert done.status_code == 302 and done["Location"] == "/accounts/password/change/done/"
    ceo.refresh_from_db()
    assert ceo.check_password(new)


def test_the_password_change_page_needs_a_sign_in(client, db):
    response = client.get("/accounts/password/change/")
    assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_a_forgotten_password_is_reset_by_email(client, ceo):
    sent = client.post("/accounts/password/reset/", {"email": ceo.email})
    assert sent.status_code == 302 and sent["Location"] == "/accounts/password/reset/sent/"
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [ceo.email]
    link = re.search(r"http://testserver(/accounts/reset/\S+/)", mail.outbox[0].body)
    assert link is not None, mail.outbox[0].body
    form = client.get(link.group(1), follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    new = "plum-harbour-tractor-42"
    done = client.post(form.redirect_chain[-1][0], {"new_password1": new, "new_password2": new})
    assert done.status_code == 302 and done["Location"] == "/accounts/reset/done/"
    assert log_in(Client(), ceo.username, new).status_code == 302
    # The link works once.
    again = client.get(link.group(1), follow=True)
    assert "This reset link does not work" in again.content.decode()


def test_an_unknown_email_gets_the_same_answer_and_no_mail(client, db):
    response = client.post("/accounts/password/reset/", {"email": "nobody@example.com"})
    assert response.status_code == 302 and response["Location"] == "/accounts/password/reset/sent/"
    assert mail.outbox == []
