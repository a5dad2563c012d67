"""Single sign-on with OpenID Connect (mozilla-django-oidc), when the deployment configures it.

Sign-in through the provider maps to an **existing** account by email, and only when the
provider says the email is verified: nobody gets an account, or someone else's account, by
naming an address at the provider. The ID token must be signed by the provider's key (JWKS),
name this site as its audience and the configured issuer, and carry the nonce of this sign-in.
A person with an authenticator app still gives a code afterwards (TwoFactorMiddleware).
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import User
from django.core.exceptions import SuspiciousOperation
from django.db.models import QuerySet
from django.http import Http404, HttpRequest, HttpResponseBase
from mozilla_django_oidc.auth import OIDCAuthenticationBackend
from mozilla_django_oidc.views import OIDCAuthenticationCallbackView, OIDCAuthenticationRequestView

logger = logging.getLogger(__name__)


class VerifiedEmailBackend(OIDCAuthenticationBackend):
    def verify_claims(self, claims: dict[str, Any]) -> bool:
        return bool(claims.get("email")) and claims.get("email_verified") is True

    def filter_users_by_claims(self, claims: dict[str, Any]) -> QuerySet[User]:
        users = get_user_model().objects
        email = claims.get("email")
        if not email or claims.get("email_verified") is not True:
            return users.none()
        return users.filter(email__iexact=email, is_active=True)

    def create_user(self, claims: dict[str, Any]) -> None:
        return None  # accounts are made by an admin, never by signing in

    def verify_token(self, token: str, **kwargs: Any) -> dict[str, Any]:
        payload: dict[str, Any] = super().verify_token(token, **kwargs)
        audience = payload.get("aud")
        audiences = audience if isinstance(audience, list) else [audience]
        if settings.OIDC_RP_CLIENT_ID not in audiences:
            raise SuspiciousOperation("The ID token is meant for another client.")
        if payload.get("iss") != settings.OIDC_OP_ISSUER:
            raise SuspiciousOperation("The ID token comes from another issuer.")
        return payload


class SsoStart(OIDCAuthenticationRequestView):
    """Off (404) unless the deployment configures a provider; the library's view would fail on
    the missing settings with a 500."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        if settings.OIDC_ENABLED:
            super().__init__(*args, **kwargs)

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        return response


class SsoCallback(OIDCAuthenticationCallbackView):
    """The provider's answer. A token that fails a check (signature, audience, issuer, nonce)
    ends like any failed sign-in: back on the login page with the reason logged, not a 400."""

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        if not settings.OIDC_ENABLED:
            raise Http404("Single sign-on is not configured.")
        try:
            response: HttpResponseBase = super().dispatch(request, *args, **kwargs)
        except SuspiciousOperation as exc:
            logger.warning("single sign-on refused: %s", exc)
            response = self.login_failure()
        return response
