"""Production settings as an auditor checks them: `check --deploy` clean, weak keys refused,
HTTPS enforced, proxy headers believed only from a named proxy, a strict CSP on every page,
__Host- cookies, and no-store where a secret is shown."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from django.conf import settings as django_settings

from tests.faults.appserver import AppServer, current_database_url

ROOT = Path(__file__).resolve().parents[2]
STRONG_KEY = secrets.token_urlsafe(50)
PRODUCTION = {
    "DEBUG": "0",
    "SECRET_KEY": STRONG_KEY,
    "ALLOWED_HOSTS": "perfmgmt.example.com",
    "DATABASE_URL": "postgres://u:p@db.example.com:5432/perfmgmt",
    "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
}
# Settings of ours the tests set; a variable of the caller's environment must not leak in.
OURS = {
    *PRODUCTION,
    "TRUSTED_PROXY",
    "SECURE_SSL_REDIRECT",
    "SECURE_COOKIES",
    "STATIC_MANIFEST",
    "OUTBOUND_ALLOWED_NETWORKS",
    # Set by the browser tests' conftest in this process; production never has it.
    "DJANGO_ALLOW_ASYNC_UNSAFE",
}


def run(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    clean = {k: v for k, v in os.environ.items() if k not in OURS}
    return subprocess.run(
        [sys.executable, *args],
        cwd=ROOT,
        env={**clean, "DJANGO_SETTINGS_MODULE": "perfmgmt.settings", **env},
        capture_output=True,
        text=True,
        timeout=120,
    )


def production_value(expression: str, **env: str) -> str:
    result = run(
        ["-c", f"from django.conf import settings; print(repr({expression}))"],
        {**PRODUCTION, **env},
    )
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


def test_check_deploy_is_clean_under_production_settings():
    result = run(["manage.py", "check", "--deploy", "--fail-level", "WARNING"], PRODUCTION)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


@pytest.mark.parametrize(
    "key",
    [
        "change-me",
        "insecure-local-only-key-never-use-in-production",
        "django-insecure-" + "k" * 50,
        "short-but-random-Zq8",
        "a" * 60,
    ],
)
def test_a_weak_or_example_secret_key_is_refused(key):
    result = run(["-c", "import django; django.setup()"], {**PRODUCTION, "SECRET_KEY": key})
    assert result.returncode != 0
    assert "ImproperlyConfigured" in result.stderr and "SECRET_KEY is refused" in result.stderr


def test_local_runs_use_a_random_key_kept_under_var(tmp_path):
    env = {"PERFMGMT_VAR_DIR": str(tmp_path), "DATABASE_URL": PRODUCTION["DATABASE_URL"]}
    first = run(["-c", "from django.conf import settings; print(settings.SECRET_KEY)"], env)
    again = run(["-c", "from django.conf import settings; print(settings.SECRET_KEY)"], env)
    assert first.returncode == 0, first.stderr
    key = first.stdout.strip()
    assert key == again.stdout.strip() == (tmp_path / "secret-key").read_text()
    assert len(key) >= 50 and oct((tmp_path / "secret-key").stat().st_mode)[-3:] == "600"


def test_production_cookies_are_host_prefixed_and_secure():
    value = production_value(
        "(settings.SESSION_COOKIE_NAME, settings.CSRF_COOKIE_NAME, "
        "settings.SESSION_COOKIE_SECURE, settings.CSRF_COOKIE_SECURE, settings.SECURE_HSTS_SECONDS)"
    )
    assert value == "('__Host-sessionid', '__Host-csrftoken', True, True, 31536000)"


def test_the_forwarded_proto_is_believed_only_from_a_named_proxy():
    assert production_value("settings.SECURE_PROXY_SSL_HEADER") == "None"
    named = production_value("settings.SECURE_PROXY_SSL_HEADER", TRUSTED_PROXY="172.20.0.5")
    assert named == "('HTTP_X_FORWARDED_PROTO', 'https')"


def test_every_page_gets_a_strict_csp(client, acme, client_for):
    for response in (client.get("/accounts/login/"), client_for(acme.admin).get("/o/acme/")):
        policy = response["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "script-src 'self'" in policy
        assert "style-src 'self'" in policy and "frame-ancestors 'none'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy


def test_the_page_showing_a_new_api_key_is_not_stored(acme, client_for):
    response = client_for(acme.admin).post(
        "/o/acme/settings/api-keys/", {"name": "Warehouse", "scope": "read"}
    )
    assert response.status_code == 200 and "pm_" in response.content.decode()
    assert "no-store" in response["Cache-Control"]


def test_the_api_docs_need_no_inline_script(acme, client_for):
    client = client_for(acme.admin)
    page = client.get("/api/docs/").content.decode()
    assert "<script>" not in page and "script=" in page
    script = client.get("/api/docs/?script=")
    assert script.status_code == 200 and "SwaggerUIBundle" in script.content.decode()


# --- the same against gunicorn with DEBUG off, as production serves it ----------------------


@pytest.fixture(scope="module")
def collected_static(tmp_path_factory) -> str:
    """collectstatic with the production storage (hashed, compressed) into a scratch folder."""
    root = tmp_path_factory.mktemp("static")
    result = run(
        ["manage.py", "collectstatic", "--noinput", "-v0"], {**PRODUCTION, "STATIC_ROOT": str(root)}
    )
    assert result.returncode == 0, result.stderr
    assert (root / "staticfiles.json").exists()
    return str(root)


@pytest.fixture
def production(transactional_db, collected_static) -> Iterator[AppServer]:
    server = AppServer(
        database_url=current_database_url(),
        SECRET_KEY=STRONG_KEY,
        FIELD_ENCRYPTION_KEYS=",".join(django_settings.FIELD_ENCRYPTION_KEYS),
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=collected_static,
        TRUSTED_PROXY="127.0.0.1",
        # The environment of the test run may carry these; production defaults apply here.
        SECURE_SSL_REDIRECT="1",
        SECURE_COOKIES="1",
        STATIC_MANIFEST="1",
        # gunicorn would itself believe X-Forwarded-Proto from 127.0.0.1 (its default); in
        # compose the proxy is not on loopback, so the decision is the app's, as here.
        FORWARDED_ALLOW_IPS="192.0.2.1",
    )
    server.start()
    yield server
    server.stop()


def test_plain_http_is_redirected_to_https(production):
    status, headers, _ = production.request(
        "GET", "/accounts/login/", headers={"Host": "127.0.0.1"}
    )
    assert status == 301 and headers["Location"] == "https://127.0.0.1/accounts/login/"


def test_over_https_the_page_has_hsts_csp_and_host_cookies(production):
    status, headers, body = production.request(
        "GET", "/accounts/login/", headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
    )
    assert status == 200
    assert headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains; preload"
    assert "unsafe-inline" not in headers["Content-Security-Policy"]
    cookie = headers["Set-Cookie"]
    assert cookie.startswith("__Host-csrftoken=") and "Secure" in cookie and "Path=/" in cookie
    assert "Domain" not in cookie
    # Static files are hashed: cacheable for a year.
    assert b"/static/css/app." in body and b"/static/css/app.css" not in body


def test_the_health_probe_answers_over_plain_http(production):
    status, _, body = production.request("GET", "/healthz", headers={"Host": "127.0.0.1"})
    assert status == 200 and b'"database": "ok"' in body


def test_a_client_cannot_claim_https_without_the_named_proxy(transactional_db, collected_static):
    server = AppServer(
        database_url=current_database_url(),
        SECRET_KEY=STRONG_KEY,
        FIELD_ENCRYPTION_KEYS=",".join(django_settings.FIELD_ENCRYPTION_KEYS),
        ALLOWED_HOSTS="127.0.0.1",
        STATIC_ROOT=collected_static,
        TRUSTED_PROXY="",
        SECURE_SSL_REDIRECT="1",
        SECURE_COOKIES="1",
        STATIC_MANIFEST="1",
        # gunicorn would itself believe X-Forwarded-Proto from 127.0.0.1 (its default); in
        # compose the proxy is not on loopback, so the decision is the app's, as here.
        FORWARDED_ALLOW_IPS="192.0.2.1",
    )
    server.start()
    try:
        status, _, _ = server.request(
            "GET", "/accounts/login/", headers={"Host": "127.0.0.1", "X-Forwarded-Proto": "https"}
        )
    finally:
        server.stop()
    assert status == 301


def test_the_test_settings_themselves_keep_plain_storage():
    # Tests render pages without collectstatic: the manifest storage is for DEBUG off only.
    assert "Manifest" not in django_settings.STORAGES["staticfiles"]["BACKEND"]
