"""The tenancy core: organisations, their members (with a role) and teams."""

from __future__ import annotations

import uuid
import zoneinfo
from collections.abc import Callable
from typing import TYPE_CHECKING, TypeVar

import pghistory
import pghistory.models
import pgtrigger
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django_scopes import ScopedManager

from perfmgmt.encryption import EncryptedTextField


def validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"{value!r} is not a known IANA time zone (e.g. Europe/Berlin).")


class Organization(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60, unique=True)
    timezone = models.CharField(max_length=64, default="UTC", validators=[validate_timezone])
    fiscal_year_start_month = models.PositiveSmallIntegerField(
        default=1, choices=[(m, m) for m in range(1, 13)]
    )
    checkin_weekday = models.PositiveSmallIntegerField(
        default=4,
        choices=[(0, "Monday"), (1, "Tuesday"), (2, "Wednesday"), (3, "Thursday"), (4, "Friday")],
        help_text="Day the weekly check-in is due (organisation time zone).",
    )
    checkin_hour = models.PositiveSmallIntegerField(
        default=10,
        choices=[(h, f"{h:02d}:00") for h in range(24)],
        help_text="Hour the weekly check-in reminder goes out (organisation time zone).",
    )
    # A webhook URL is a credential (whoever has it can post): encrypted at rest.
    slack_webhook_url = EncryptedTextField(
        blank=True, help_text="Slack-compatible incoming webhook for reminders."
    )
    require_2fa_for_admins = models.BooleanField(
        "Require two-factor sign-in for admins",
        default=False,
        help_text="Admins without an authenticator app are asked to set one up before they can "
        "open this organisation's pages.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


_M = TypeVar("_M", bound=models.Model)

# django-scopes builds its manager class inside a factory, where mypy's Django plugin cannot
# find it; a subclass with a name of its own lets the plugin type every tenant model's manager
# and the reverse managers (`org.teams`) that hang off it.
if TYPE_CHECKING:
    from django_scopes.manager import _ScopedManager  # a name in our stubs (typings/) only
else:
    _ScopedManager = type(ScopedManager(organization="organization"))


class TenantManager(_ScopedManager[_M]):
    """Refuses every query unless an organisation scope (or `scopes_disabled()`) is active."""


class AuditEvent(pghistory.models.Event):
    """The base of every tenant event model (perfmgmt.history): read only inside an
    organisation scope, like the rows it records."""

    objects = TenantManager()  # type: ignore[assignment,misc]

    class Meta:
        abstract = True


_T = TypeVar("_T", bound=type[models.Model])


def audited(*, exclude: tuple[str, ...] = (), tenant: bool = True) -> Callable[[_T], _T]:
    """Track every insert, update and delete of the decorated model in `<Model>Event`
    (perfmgmt.history says how and who).

    `exclude`: columns that are not on record (secrets, hashes, bookkeeping that changes on its
    own); an update that changes only those writes no event. `updated_at` is never kept: the
    event's own time says when.
    """

    def track(model: _T) -> _T:
        meta: dict = {"ordering": ["-pgh_created_at", "-pgh_id"]}
        if tenant:
            name = f"{model._meta.db_table[:20]}_ev_org_at"
            meta["indexes"] = [models.Index(fields=["organization", "pgh_created_at"], name=name)]
        return pghistory.track(  # type: ignore[no-any-return]
            pghistory.InsertEvent(),
            pghistory.UpdateEvent(),
            pghistory.DeleteEvent(),
            exclude=["updated_at", *exclude],
            append_only=True,
            level=pgtrigger.Statement,
            base_model=AuditEvent if tenant else None,
            meta=meta,
        )(model)

    return track


# The organisation's settings are on record too (not the webhook: it is a credential). Its
# events are not scoped: the organisation is the event's object.
audited(exclude=("slack_webhook_url",), tenant=False)(Organization)


class TenantModel(models.Model):
    """A row owned by one organisation, read only inside that organisation's scope.

    `objects` is django-scopes' ScopedManager: a query without an active scope raises, it never
    falls back to every organisation. Models that reach their rows from the organisation by a
    name of their own (`org.teams`, `org.kpis`; Django's default `kpilink_set` for KpiLink and
    TargetChange) re-declare `organization` with that name, as the migrations recorded it.
    """

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")

    objects = TenantManager()

    class Meta:
        abstract = True


class Role(models.TextChoices):
    ADMIN = "admin", "Admin"
    EXECUTIVE = "executive", "Executive"
    FINANCE = "finance", "Finance"
    LEAD = "lead", "Team lead"
    MEMBER = "member", "Member"
    VIEWER = "viewer", "Viewer"


@audited()
class Team(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="teams")
    name = models.CharField(max_length=200)
    slug = models.SlugField(max_length=60)
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="children"
    )
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="led_teams",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "slug"], name="team_slug_per_org")
        ]

    def __str__(self) -> str:
        return self.name


@audited()
class Membership(TenantModel):
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="memberships"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(max_length=16, choices=Role.choices, default=Role.MEMBER)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="memberships"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["organization__name", "user__username"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "user"], name="one_membership_per_org")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.organization} ({self.role})"


class ApiKeyScope(models.TextChoices):
    READ = "read", "Read only"
    READ_WRITE = "read_write", "Read and write"


@audited(exclude=("key_hash", "last_used_at"))
class ApiKey(TenantModel):
    """A machine's key to one organisation's API. Only a hash of the secret is stored."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="api_keys"
    )
    name = models.CharField(max_length=100)
    # Found by its prefix before the organisation is known (the key names it), hence the index;
    # unique per organisation, like every constraint (the schema shards by organisation).
    prefix = models.CharField(max_length=16, db_index=True, help_text="Shown to tell keys apart.")
    key_hash = models.CharField(max_length=64, help_text="SHA-256 of the secret.")
    scope = models.CharField(max_length=10, choices=ApiKeyScope.choices, default=ApiKeyScope.READ)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="created_api_keys"
    )
    # The admin who answers for the key: its maker until another admin takes it over. The key
    # works only while the owner is an active admin of the organisation.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="owned_api_keys",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    last_used_at = models.DateTimeField(null=True, blank=True)
    expires_at = models.DateTimeField(null=True, blank=True)
    revoked_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = "API key"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "prefix"], name="api_key_prefix_per_org"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"


class IdempotencyRecord(TenantModel):
    """The first response to a POST sent with an Idempotency-Key, replayed on retries."""

    principal = models.CharField(max_length=64, help_text="The API key or person who sent it.")
    key = models.CharField(max_length=255)
    fingerprint = models.CharField(max_length=64, help_text="SHA-256 of method, path and body.")
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.JSONField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "principal", "key"], name="idempotency_key_once"
            )
        ]

    def __str__(self) -> str:
        return f"{self.principal} {self.key}"
