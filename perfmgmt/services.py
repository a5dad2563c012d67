"""Writes for the tenancy core."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from django_scopes import scopes_disabled

from perfmgmt.models import ApiKey, ApiKeyScope, Membership, Organization, Role, Team
from perfmgmt.outbound import validate_outbound_url
from perfmgmt.selectors import api_key_owner_in_charge
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_admin, ensure_members, ensure_same_org, validated_save

ORG_SETTINGS_FIELDS = (
    "name",
    "timezone",
    "fiscal_year_start_month",
    "checkin_weekday",
    "checkin_hour",
    "require_2fa_for_admins",
)


@transaction.atomic
def organization_create(
    *,
    name: str,
    slug: str = "",
    timezone: str = "UTC",
    fiscal_year_start_month: int = 1,
    admin: User | None = None,
) -> Organization:
    org = Organization(
        name=name,
        slug=slug or slugify(name),
        timezone=timezone,
        fiscal_year_start_month=fiscal_year_start_month,
    )
    # Not validated_save: an unsaved organisation cannot be a scope (org_scope refuses it),
    # and Organization is not a tenant model, so there is no scope to validate in.
    org.full_clean()
    org.save()
    if admin is not None:
        membership_set(org=org, user=admin, role=Role.ADMIN)
    return org


@transaction.atomic
def membership_set(
    *, org: Organization, user: User, role: str, team: Team | None = None
) -> Membership:
    """Add a user to an organisation or change their role and team."""
    ensure_same_org(org, team=team)
    with org_scope(org):
        membership = Membership.objects.filter(user=user).first() or Membership(
            organization=org, user=user
        )
        membership.role = role
        membership.team = team
    validated_save(org, membership)
    return membership


@transaction.atomic
def team_create(
    *,
    org: Organization,
    name: str,
    slug: str = "",
    parent: Team | None = None,
    lead: User | None = None,
) -> Team:
    ensure_same_org(org, parent=parent)
    ensure_members(org, lead=lead)
    team = Team(organization=org, name=name, slug=slug or slugify(name), parent=parent, lead=lead)
    validated_save(org, team)
    return team


API_KEY_LABEL = "pm"


def _hash_secret(secret: str) -> str:
    # Keys are 256-bit random tokens, so a fast hash is enough: nothing to brute-force.
    return hashlib.sha256(secret.encode()).hexdigest()


@transaction.atomic
def api_key_create(
    *,
    org: Organization,
    actor: Membership,
    name: str,
    scope: str = ApiKeyScope.READ,
    expires_at: dt.datetime | None = None,
) -> tuple[ApiKey, str]:
    """Create a key; the full secret is returned once and never stored."""
    ensure_same_org(org, actor=actor)
    ensure_admin(actor, "manage API keys")
    if expires_at is not None and expires_at <= timezone.now():
        raise ValidationError({"expires_at": "The expiry must lie in the future."})
    prefix = secrets.token_hex(4)
    secret = f"{API_KEY_LABEL}_{prefix}_{secrets.token_urlsafe(32)}"
    key = ApiKey(
        organization=org,
        name=name,
        prefix=prefix,
        key_hash=_hash_secret(secret),
        scope=scope,
        created_by=actor.user,
        owner=actor.user,
        expires_at=expires_at,
    )
    validated_save(org, key)
    return key, secret


@transaction.atomic
def api_key_revoke(*, org: Organization, actor: Membership, key: ApiKey) -> ApiKey:
    ensure_same_org(org, key=key, actor=actor)
    ensure_admin(actor, "manage API keys")
    if key.revoked_at is None:
        key.revoked_at = timezone.now()
        key.save(update_fields=["revoked_at"])
    return key


@transaction.atomic
def api_key_take_over(*, org: Organization, actor: Membership, key: ApiKey) -> ApiKey:
    """The acting admin becomes the key's owner: what revives a key whose owner left, was
    deactivated or is no longer an admin, and what hands a key on before its owner goes."""
    ensure_same_org(org, key=key, actor=actor)
    ensure_admin(actor, "manage API keys")
    if key.revoked_at is not None:
        raise ValidationError("A revoked key cannot be taken over; create a new one.")
    key.owner = actor.user
    key.save(update_fields=["owner"])
    return key


class InvalidApiKey(Exception):
    """The presented key is unknown, malformed, revoked, expired or suspended."""


SUSPENDED = (
    "This API key is suspended: the admin who owns it has left the organisation, was "
    "deactivated or is no longer an admin. An admin of the organisation can take it over."
)


def api_key_authenticate(secret: str) -> ApiKey:
    """Find the live key for a presented secret, and note that it was used."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != API_KEY_LABEL:
        raise InvalidApiKey("Malformed API key.")
    digest = _hash_secret(secret)
    with scopes_disabled():  # authentication decides the organisation; nothing is scoped yet
        # The prefix is unique per organisation only: the secret's hash tells two apart.
        key = (
            ApiKey.objects.select_related("organization", "created_by")
            .filter(prefix=parts[1], key_hash=digest)
            .first()
        )
    if key is None or not hmac.compare_digest(key.key_hash, digest):
        raise InvalidApiKey("Unknown API key.")
    now = timezone.now()
    if key.revoked_at is not None:
        raise InvalidApiKey("This API key has been revoked.")
    if key.expires_at is not None and key.expires_at <= now:
        raise InvalidApiKey("This API key has expired.")
    if not api_key_owner_in_charge(key):
        raise InvalidApiKey(SUSPENDED)
    if key.last_used_at is None or now - key.last_used_at > dt.timedelta(minutes=1):
        # At most one write a minute per key: last-used is for people, not an audit log.
        with scopes_disabled():
            ApiKey.objects.filter(pk=key.pk).update(last_used_at=now)
        key.last_used_at = now
    return key


@transaction.atomic
def organization_settings_update(
    *, org: Organization, actor: Membership, slack_webhook_url: str = "", **fields: object
) -> Organization:
    """Cadence and notification settings. An empty webhook keeps the stored one."""
    ensure_same_org(org, actor=actor)
    ensure_admin(actor, "change settings")
    unknown = set(fields) - set(ORG_SETTINGS_FIELDS)
    if unknown:
        raise ValidationError({name: "Unknown field." for name in unknown})
    for name, value in fields.items():
        setattr(org, name, value)
    if slack_webhook_url:
        try:
            validate_outbound_url(slack_webhook_url)
        except ValidationError as exc:
            raise ValidationError({"slack_webhook_url": exc.messages}) from exc
        org.slack_webhook_url = slack_webhook_url
    validated_save(org, org)
    return org
