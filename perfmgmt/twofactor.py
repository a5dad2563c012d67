"""Two-factor sign-in with a TOTP app (django-otp): optional for anyone, required of an
organisation's admins when the organisation says so.

A person with a confirmed device signs in with the password and then a code; until the code
is given, every page sends them to the code page (perfmgmt.middleware.TwoFactorMiddleware).
An organisation with `require_2fa_for_admins` sends its admins without a device to set one up
before any of its pages (perfmgmt.tenancy.org_view). Codes are throttled by django-otp: each
failure doubles the wait before the next try.
"""

from __future__ import annotations

import segno
from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.exceptions import ValidationError
from django.db import transaction
from django_otp import user_has_device
from django_otp.plugins.otp_totp.models import TOTPDevice

from perfmgmt.models import Membership, Organization
from perfmgmt.permissions import is_admin

WRONG_CODE = "That code is not right, or came too soon after a wrong one. Enter the code shown now."


def totp_device(user: AbstractBaseUser, *, confirmed: bool = True) -> TOTPDevice | None:
    return TOTPDevice.objects.filter(user=user, confirmed=confirmed).first()


@transaction.atomic
def totp_setup_start(*, user: AbstractBaseUser) -> TOTPDevice:
    """A new secret for the person's app; it counts once a code from it is confirmed."""
    TOTPDevice.objects.filter(user=user, confirmed=False).delete()
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=False)


@transaction.atomic
def totp_setup_confirm(*, user: AbstractBaseUser, token: str) -> TOTPDevice:
    device = totp_device(user, confirmed=False)
    if device is None:
        raise ValidationError({"token": "Start the set-up again: no new secret is waiting."})
    if not device.verify_token(token):
        raise ValidationError({"token": WRONG_CODE})
    TOTPDevice.objects.filter(user=user, confirmed=True).delete()  # one app per person
    device.confirmed = True
    device.save(update_fields=["confirmed"])
    return device


def totp_check(*, user: AbstractBaseUser, token: str) -> TOTPDevice:
    """The person's confirmed device, if `token` is its current code; else ValidationError."""
    device = totp_device(user)
    if device is None or not device.verify_token(token):
        raise ValidationError({"token": WRONG_CODE})
    return device


@transaction.atomic
def totp_disable(*, user: AbstractBaseUser, token: str) -> None:
    """Turn two-factor sign-in off; a current code proves the person holds the app."""
    totp_check(user=user, token=token)
    TOTPDevice.objects.filter(user=user).delete()


def qr_data_uri(device: TOTPDevice) -> str:
    """The otpauth:// URL as a QR code in a data: URI (the CSP allows data: images only)."""
    return str(segno.make(device.config_url, error="m").svg_data_uri(scale=5))


def needs_code(user: AbstractBaseUser | AnonymousUser) -> bool:
    """Signed in with the password, holding a confirmed device, and no code given yet."""
    if not user.is_authenticated:
        return False
    verified = getattr(user, "is_verified", None)
    return not (verified and verified()) and user_has_device(user)


def must_set_up(*, org: Organization, membership: Membership) -> bool:
    """The organisation requires two-factor sign-in of its admins, and this admin has none."""
    return (
        org.require_2fa_for_admins and is_admin(membership) and not user_has_device(membership.user)
    )
