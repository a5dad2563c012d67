"""Weekly check-ins on objectives (review meetings, actions and packs build on these)."""

from __future__ import annotations

import secrets
import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from objectives.models import Objective
from perfmgmt.models import Team, TenantModel, audited


class CheckInStatus(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


# At or below this confidence (out of 10) the owner must say why, and the objective needs
# attention in the exceptions list and on review agendas.
LOW_CONFIDENCE = 4


# What a person writes in a check-in: the form's fields, and what a revision keeps.
CHECKIN_FIELDS = ("status", "progress", "confidence", "reason", "blockers", "next_steps")


@audited()
class CheckIn(TenantModel):
    """One objective's weekly check-in: status, progress and the owner's confidence."""

    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="checkins")
    week_start = models.DateField(help_text="Monday of the week checked in for.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkins"
    )
    status = models.CharField(max_length=10, choices=CheckInStatus.choices)
    progress = models.PositiveSmallIntegerField(help_text="Percent of the objective achieved.")
    confidence = models.PositiveSmallIntegerField(help_text="0–10: will the objective be met?")
    reason = models.TextField(blank=True, help_text="Required when confidence is low or off track.")
    blockers = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["objective", "-week_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "objective", "week_start"],
                name="one_checkin_per_objective_week",
            ),
            models.CheckConstraint(condition=models.Q(confidence__lte=10), name="confidence_0_10"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="progress_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.objective_id} week of {self.week_start}: {self.status}"

    @property
    def is_low_confidence(self) -> bool:
        return self.confidence <= LOW_CONFIDENCE

    def snapshot(self) -> dict:
        """What the check-in says now (CHECKIN_FIELDS), JSON-safe: a revision's `before`."""
        return {name: getattr(self, name) for name in CHECKIN_FIELDS}


class MeetingKind(models.TextChoices):
    WEEKLY = "weekly", "Weekly operational review"
    MONTHLY = "monthly", "Monthly business review"
    QUARTERLY = "quarterly", "Quarterly strategic review"


class ReviewMeeting(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(max_length=10, choices=MeetingKind.choices)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="review_meetings"
    )
    held_on = models.DateField()
    agenda = models.JSONField(
        default=dict, help_text="The agenda generated from the data when the meeting was created."
    )
    notes = models.TextField(blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-held_on", "-created_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.held_on}"


@audited()
class Decision(TenantModel):
    meeting = models.ForeignKey(ReviewMeeting, on_delete=models.CASCADE, related_name="decisions")
    text = models.TextField()
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class ActionStatus(models.TextChoices):
    OPEN = "open", "Open"
    DONE = "done", "Done"
    DROPPED = "dropped", "Dropped"


@audited()
class ActionItem(TenantModel):
    """A thing one person will do by a date, usually decided in a review."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    meeting = models.ForeignKey(
        ReviewMeeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    title = models.CharField(max_length=300)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="actions"
    )
    due_date = models.DateField()
    status = models.CharField(max_length=8, choices=ActionStatus.choices, default=ActionStatus.OPEN)
    kpi = models.ForeignKey(
        "metrics.Kpi", null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="actions"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["due_date", "created_at"]

    def __str__(self) -> str:
        return self.title


class Likelihood(models.TextChoices):
    LOW = "low", "Low"
    MEDIUM = "medium", "Medium"
    HIGH = "high", "High"


class Outcome(models.TextChoices):
    HAPPENED = "happened", "It happened"
    PARTLY = "partly", "Partly"
    AVOIDED = "avoided", "It did not happen"


class Risk(TenantModel):
    """A pre-mortem entry (what could make the objective fail), answered in the retrospective."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="risks")
    description = models.TextField(help_text="What could make this objective fail?")
    likelihood = models.CharField(max_length=6, choices=Likelihood.choices)
    early_sign = models.TextField(blank=True, help_text="The early sign to watch for.")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    outcome = models.CharField(max_length=8, choices=Outcome.choices, blank=True)
    learned = models.TextField(blank=True)
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.description[:60]


class ReminderKind(models.TextChoices):
    CHECKIN = "checkin", "Weekly check-in"
    ESCALATION = "escalation", "Missing check-in (escalated to the lead)"
    STALE_KPI = "stale_kpi", "KPI without a value"
    BUSINESS_REVIEW = "mbr", "Monthly business review"
    SOURCE_FAILING = "source", "Data source failing"
    COMMENTARY = "commentary", "KPI commentary due"
    PACK_READY = "pack", "Business-review pack ready"


class ReminderDelivery(TenantModel):
    """Claimed before a reminder is sent: one per person, kind, period and channel, so a task
    that runs twice (or dies and is redelivered) never sends the same reminder again.

    A send that failed leaves the row unsent with its attempts and last error, and releases the
    claim (`claimed_at` NULL) so the next reminder run tries again with the stored message. A
    claim still held (a worker sending right now) is only taken over once it is older than the
    longest a task may live.
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kind = models.CharField(max_length=10, choices=ReminderKind.choices)
    period = models.CharField(max_length=100, help_text="e.g. 2026-W47, 2026-11")
    channel = models.CharField(max_length=8, choices=[("email", "Email"), ("slack", "Slack")])
    subject = models.CharField(max_length=300, blank=True)
    body = models.TextField(blank=True)
    claimed_at = models.DateTimeField(
        null=True, blank=True, default=timezone.now, help_text="Empty: nobody is sending it."
    )
    attempts = models.PositiveSmallIntegerField(default=1)
    last_error = models.TextField(blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "user", "kind", "period", "channel"],
                name="one_reminder_per_person_period",
            )
        ]
        indexes = [
            models.Index(
                fields=["organization", "claimed_at"],
                condition=models.Q(sent_at__isnull=True),
                name="reminder_unsent",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} to {self.user_id} by {self.channel}"


# What an owner writes about a month's number: the form's fields, and what a revision keeps.
COMMENTARY_FIELDS = ("analysis", "next_step")


@audited()
class KpiCommentary(TenantModel):
    """The outcome owner's words on one KPI's number for one month, written before the monthly
    business review and printed beside the number in the pack."""

    kpi = models.ForeignKey("metrics.Kpi", on_delete=models.CASCADE, related_name="commentaries")
    month = models.DateField(help_text="The first day of the month the commentary is about.")
    analysis = models.TextField(max_length=2000, help_text="Why the number is where it is.")
    next_step = models.TextField(max_length=2000, help_text="What you will do about it.")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-month"]
        verbose_name_plural = "KPI commentaries"
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "month"], name="one_commentary_per_kpi_month"
            ),
            models.CheckConstraint(
                condition=models.Q(month__day=1), name="commentary_month_first_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.month:%Y-%m}"

    def snapshot(self) -> dict:
        return {name: getattr(self, name) for name in COMMENTARY_FIELDS}


class PackStatus(models.TextChoices):
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Generating"
    DONE = "done", "Ready"
    FAILED = "failed", "Failed"


ACTIVE_PACK_STATUSES = (PackStatus.QUEUED, PackStatus.RUNNING)


def pack_file_path(instance: Pack, filename: str) -> str:
    """Under a random folder: a file's name is never enough to guess another's."""
    return f"packs/{instance.organization_id}/{secrets.token_urlsafe(18)}/{filename}"


class Pack(TenantModel):
    """One version of the monthly business-review pack: a job while it is made, then two
    files and the numbers they show (`snapshot`), which never change once presented."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    month = models.DateField(help_text="The first day of the month the pack reports.")
    teams = models.JSONField(default=list, blank=True, help_text="Team slugs; empty: all.")
    perspectives = models.JSONField(default=list, blank=True, help_text="Empty: all.")
    scope_key = models.CharField(
        max_length=300, default="", blank=True, help_text="The filters, canonical."
    )
    version = models.PositiveIntegerField()
    status = models.CharField(max_length=8, choices=PackStatus.choices, default=PackStatus.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    error = models.TextField(blank=True)
    automatic = models.BooleanField(default=False)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    due_at = models.DateTimeField(
        default=timezone.now, help_text="When it was last handed to the broker."
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    data_as_of = models.DateTimeField(null=True, blank=True)
    snapshot = models.JSONField(null=True, blank=True, help_text="The numbers the files show.")
    pdf = models.FileField(upload_to=pack_file_path, max_length=300, blank=True)
    xlsx = models.FileField(upload_to=pack_file_path, max_length=300, blank=True)
    pdf_pages = models.PositiveIntegerField(null=True, blank=True)
    presented_at = models.DateTimeField(null=True, blank=True)
    presented_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    presented_meeting = models.ForeignKey(
        ReviewMeeting, null=True, blank=True, on_delete=models.SET_NULL, related_name="packs"
    )

    class Meta:
        ordering = ["-month", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "month", "scope_key", "version"],
                name="one_pack_per_version",
            ),
            # Pressing Generate twice (or two people at once) starts one job.
            models.UniqueConstraint(
                fields=["organization", "month", "scope_key"],
                condition=models.Q(status__in=["queued", "running"]),
                name="one_active_pack",
            ),
            # The automatic pack of a month is made once, however many beats fire.
            models.UniqueConstraint(
                fields=["organization", "month", "scope_key"],
                condition=models.Q(automatic=True),
                name="one_automatic_pack",
            ),
            models.CheckConstraint(
                condition=models.Q(progress__lte=100), name="pack_progress_0_100"
            ),
            models.CheckConstraint(condition=models.Q(month__day=1), name="pack_month_first_day"),
        ]

    def __str__(self) -> str:
        return f"pack {self.month:%Y-%m} v{self.version} ({self.status})"

    @property
    def is_active(self) -> bool:
        return self.status in ACTIVE_PACK_STATUSES

    @property
    def is_presented(self) -> bool:
        return self.presented_at is not None


class MissCause(models.TextChoices):
    """Why a KPI missed its period's target, in the owner's judgement."""

    EXECUTION = "execution", "Execution: the plan was right, it was not carried out"
    STRATEGY = "strategy", "Strategy: it was carried out, and did not move the number"
    MEASUREMENT = "measurement", "Measurement: the number does not show what happened"


class MissReason(TenantModel):
    """The owner's account of one missed period target: why, and the next step. The period
    and the numbers are copied, so the account keeps its meaning if the target moves later."""

    kpi = models.ForeignKey("metrics.Kpi", on_delete=models.CASCADE, related_name="miss_reasons")
    period_start = models.DateField()
    period_end = models.DateField()
    target_value = models.FloatField(help_text="The target of the period, when it was missed.")
    actual = models.FloatField(help_text="The value that missed it.")
    cause = models.CharField(max_length=12, choices=MissCause.choices)
    next_step = models.TextField(max_length=2000, help_text="What happens next, and by when.")
    meeting = models.ForeignKey(
        "reviews.ReviewMeeting", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "period_start"], name="one_miss_reason_per_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.period_start}: {self.cause}"
