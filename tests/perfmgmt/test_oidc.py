"""Single sign-on against a small OpenID Connect provider this test runs on loopback: the code
flow end to end (authorize → callback → token, JWKS and userinfo over real HTTP), mapped to the
existing account of a verified email only."""

from __future__ import annotations

import base64
import hashlib
import http.server
import json
import secrets
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from django.contrib.auth import get_user_model
from django.test import Client

CLIENT_ID = "perfmgmt-test"
CLIENT_SECRET = secrets.token_urlsafe(16)


@dataclass
class Provider:
    """Issues codes for whoever `person` is: their email and whether it is verified."""

    url: str = ""
    key: Any = None
    person: dict[str, Any] = field(default_factory=dict)
    audience: str = CLIENT_ID
    codes: dict[str, dict[str, str]] = field(default_factory=dict)
    tokens: dict[str, dict[str, Any]] = field(default_factory=dict)
    token_requests: list[dict[str, str]] = field(default_factory=list)


def _handler(provider: Provider) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        def reply(self, status: int, body: Any = None, headers: dict[str, str] | None = None):
            data = json.dumps(body).encode() if body is not None else b""
            self.send_response(status)
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def do_GET(self) -> None:  # noqa: N802
            parts = urlsplit(self.path)
            query = {k: v[0] for k, v in parse_qs(parts.query).items()}
            if parts.path == "/authorize":
                code = secrets.token_urlsafe(8)
                provider.codes[code] = query
                target = (
                    f"{query['redirect_uri']}?{urlencode({'code': code, 'state': query['state']})}"
                )
                return self.reply(302, headers={"Location": target})
            if parts.path == "/jwks":
                jwk = jwt.algorithms.RSAAlgorithm.to_jwk(provider.key.public_key(), as_dict=True)
                return self.reply(
                    200, {"keys": [{**jwk, "kid": "k1", "alg": "RS256", "use": "sig"}]}
                )
            if parts.path == "/userinfo":
                token = self.headers.get("Authorization", "").removeprefix("Bearer ")
                if token not in provider.tokens:
                    return self.reply(401, {"error": "invalid_token"})
                return self.reply(200, provider.tokens[token])
            return self.reply(404, {})

        def do_POST(self) -> None:  # noqa: N802
            length = int(self.headers.get("Content-Length") or 0)
            form = {k: v[0] for k, v in parse_qs(self.rfile.read(length).decode()).items()}
            provider.token_requests.append(form)
            request = provider.codes.pop(form.get("code", ""), None)
            if (
                request is None
                or form.get("client_secret") != CLIENT_SECRET
                or form.get("redirect_uri") != request["redirect_uri"]
            ):
                return self.reply(400, {"error": "invalid_grant"})
            if "code_challenge" in request:  # PKCE: the verifier must match the challenge
                digest = hashlib.sha256(form.get("code_verifier", "").encode()).digest()
                if (
                    base64.urlsafe_b64encode(digest).rstrip(b"=").decode()
                    != request["code_challenge"]
                ):
                    return self.reply(400, {"error": "invalid_grant"})
            now = int(time.time())
            claims = {"sub": provider.person["sub"], **provider.person}
            id_token = jwt.encode(
                {
                    "iss": provider.url,
                    "aud": provider.audience,
                    "iat": now,
                    "exp": now + 300,
                    "nonce": request.get("nonce"),
                    **claims,
                },
                provider.key,
                algorithm="RS256",
                headers={"kid": "k1"},
            )
            access = secrets.token_urlsafe(16)
            provider.tokens[access] = claims
            return self.reply(
                200, {"access_token": access, "id_token": id_token, "token_type": "Bearer"}
            )

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def provider(settings) -> Iterator[Provider]:
    state = Provider(key=rsa.generate_private_key(public_exponent=65537, key_size=2048))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{httpd.server_port}"
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    settings.OIDC_ENABLED = True
    settings.OIDC_RP_CLIENT_ID = CLIENT_ID
    settings.OIDC_RP_CLIENT_SECRET = CLIENT_SECRET
    settings.OIDC_OP_ISSUER = state.url
    settings.OIDC_OP_AUTHORIZATION_ENDPOINT = f"{state.url}/authorize"
    settings.OIDC_OP_TOKEN_ENDPOINT = f"{state.url}/token"
    settings.OIDC_OP_USER_ENDPOINT = f"{state.url}/userinfo"
    settings.OIDC_OP_JWKS_ENDPOINT = f"{state.url}/jwks"
    settings.AUTHENTICATION_BACKENDS = [
        *settings.AUTHENTICATION_BACKENDS,
        "perfmgmt.oidc.VerifiedEmailBackend",
    ]
    yield state
    httpd.shutdown()
    httpd.server_close()


def sso(client: Client, provider: Provider) -> Any:
    """The browser's round trip: to the provider and back to the callback."""
    start = client.get("/accounts/login/")
    assert "single sign-on" in start.content.decode()
    to_provider = client.get("/oidc/authenticate/")
    assert to_provider.status_code == 302
    location = to_provider["Location"]
    assert location.startswith(f"{provider.url}/authorize?")

    class NoRedirect(urllib.request.HTTPRedirectHandler):
        def redirect_request(self, *args: Any) -> None:
            return None

    opener = urllib.request.build_opener(NoRedirect)
    try:
        opener.open(location)
    except urllib.error.HTTPError as back:
        assert back.code == 302
        callback = urlsplit(back.headers["Location"])
    return client.get(f"{callback.path}?{callback.query}")


def signed_in_as(client: Client) -> Any:
    user_id = client.session.get("_auth_user_id")
    return get_user_model().objects.get(pk=user_id) if user_id else None


def test_a_verified_email_signs_in_to_the_existing_account(acme, provider, client):
    user = acme.executive.user
    provider.person = {"sub": "idp-1", "email": user.email.upper(), "email_verified": True}
    response = sso(client, provider)
    assert response.status_code == 302 and response["Location"] == "/"
    assert signed_in_as(client) == user
    assert client.get("/o/acme/dashboard/").status_code == 200
    assert "code_verifier" in provider.token_requests[0], "PKCE is used"


def test_an_unverified_email_signs_nobody_in(acme, provider, client):
    provider.person = {
        "sub": "idp-2",
        "email": acme.executive.user.email,
        "email_verified": False,
    }
    response = sso(client, provider)
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert signed_in_as(client) is None
    page = client.get(response["Location"]).content.decode()
    assert "Single sign-on did not sign you in" in page


def test_an_unknown_email_creates_no_account(acme, provider, client):
    provider.person = {"sub": "idp-3", "email": "new@example.com", "email_verified": True}
    before = get_user_model().objects.count()
    response = sso(client, provider)
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert signed_in_as(client) is None and get_user_model().objects.count() == before


def test_a_token_for_another_client_is_refused(acme, provider, client):
    provider.person = {"sub": "idp-4", "email": acme.executive.user.email, "email_verified": True}
    provider.audience = "someone-else"
    response = sso(client, provider)
    assert response["Location"] == "/accounts/login/?sso=failed"
    assert signed_in_as(client) is None


def test_a_deactivated_account_is_not_signed_in(acme, provider, client):
    user = acme.executive.user
    user.is_active = False
    user.save()
    provider.person = {"sub": "idp-5", "email": user.email, "email_verified": True}
    assert sso(client, provider)["Location"] == "/accounts/login/?sso=failed"
    assert signed_in_as(client) is None


def test_without_a_provider_the_sso_urls_are_404_and_not_offered(client, db):
    assert client.get("/oidc/authenticate/").status_code == 404
    assert client.get("/oidc/callback/?code=x&state=y").status_code == 404
    assert "single sign-on" not in client.get("/accounts/login/").content.decode()
