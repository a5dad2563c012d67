"""KPIs, their targets per period and the values recorded against them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils import timezone

from metrics.forecasting.methods import Method
from objectives.models import Objective
from perfmgmt.encryption import EncryptedTextField
from perfmgmt.models import ApiKey, Organization, TenantModel, audited
from perfmgmt.periods import Cadence


class Direction(models.TextChoices):
    HIGHER = "higher", "Higher is better"
    LOWER = "lower", "Lower is better"


class KpiKind(models.TextChoices):
    LEAD = "lead", "Lead"
    LAG = "lag", "Lag"


class Aggregation(models.TextChoices):
    SUM = "sum", "Sum"
    AVERAGE = "average", "Average"
    LAST = "last", "Last value"
    MIN = "min", "Minimum"
    MAX = "max", "Maximum"


@audited()
class Kpi(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="kpis")
    key = models.SlugField(
        max_length=80, help_text="Stable identifier for REST clients, unique in the organisation."
    )
    name = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    unit = models.CharField(max_length=24, blank=True)
    direction = models.CharField(max_length=8, choices=Direction.choices, default=Direction.HIGHER)
    kind = models.CharField(max_length=4, choices=KpiKind.choices)
    cadence = models.CharField(max_length=10, choices=Cadence.choices, default=Cadence.MONTHLY)
    aggregation = models.CharField(
        max_length=8, choices=Aggregation.choices, default=Aggregation.LAST
    )
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="kpis"
    )
    outcome_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_kpis"
    )
    data_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="data_owned_kpis"
    )
    drives = models.ManyToManyField(
        "self",
        symmetrical=False,
        blank=True,
        related_name="driven_by",
        through="KpiLink",
        through_fields=("lead", "lag"),
    )
    is_key = models.BooleanField(
        default=False, help_text="One of the 5–7 metrics that matter on a dashboard."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        verbose_name = "KPI"
        constraints = [
            models.UniqueConstraint(fields=["organization", "key"], name="kpi_key_per_org")
        ]

    def __str__(self) -> str:
        return self.name


@audited()
class KpiLink(TenantModel):
    """A lead KPI that is meant to predict a lag KPI."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE)
    lead = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="lag_links")
    lag = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="lead_links")

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "lead", "lag"], name="kpi_link_once"),
            models.CheckConstraint(
                condition=~models.Q(lead=models.F("lag")), name="kpi_link_not_self"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.lead_id} drives {self.lag_id}"


class Rag(models.TextChoices):
    GREEN = "green", "On target"
    AMBER = "amber", "At risk"
    RED = "red", "Off target"
    NONE = "none", "No data"


@audited()
class Target(TenantModel):
    """What a KPI should reach in one period, with the thresholds that colour it."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="targets")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="targets")
    period_start = models.DateField()
    period_end = models.DateField()
    value = models.FloatField(help_text="The target itself.")
    green_threshold = models.FloatField(help_text="At or better than this is green.")
    amber_threshold = models.FloatField(
        help_text="At or better than this (but not green) is amber."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        # By the column, not "kpi": that would join the KPI table to sort by its name.
        ordering = ["kpi_id", "period_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "period_start"], name="one_target_per_period"
            ),
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="target_period_ordered",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi} {self.period_start}–{self.period_end}: {self.value:g}"


class Confidence(models.TextChoices):
    """How far the number itself can be trusted, weakest first."""

    ESTIMATE = "estimate", "Estimate"
    PRELIMINARY = "preliminary", "Preliminary"
    RECONCILED = "reconciled", "Reconciled"
    AUDITED = "audited", "Audited"


class Source(models.TextChoices):
    MANUAL = "manual", "Manual entry"
    API = "api", "REST API"
    PULL = "pull", "Scheduled pull"
    IMPORT = "import", "CSV import"


@audited()
class MetricValue(TenantModel):
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="values")
    period_date = models.DateField(help_text="First day of the cadence period the value is for.")
    value = models.FloatField()
    confidence = models.CharField(
        max_length=12, choices=Confidence.choices, default=Confidence.PRELIMINARY
    )
    source = models.CharField(max_length=8, choices=Source.choices, default=Source.MANUAL)
    note = models.CharField(max_length=500, blank=True)
    measured_at = models.DateTimeField(
        null=True, blank=True, help_text="When the source measured it; an older replay never wins."
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_by_key = models.ForeignKey(
        ApiKey,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text="The API key that wrote it, when a machine did.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kpi", "-period_date"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "period_date"], name="one_value_per_kpi_period"
            )
        ]
        indexes = [models.Index(fields=["kpi", "-period_date"], name="value_kpi_latest")]

    def __str__(self) -> str:
        return f"{self.kpi_id} {self.period_date}: {self.value:g}"


class SourceKind(models.TextChoices):
    JSON = "json", "HTTP JSON"
    CSV = "csv", "CSV (URL or uploaded file)"


class RunStatus(models.TextChoices):
    NEVER = "never", "Never run"
    QUEUED = "queued", "Queued"
    RUNNING = "running", "Running"
    OK = "ok", "Succeeded"
    FAILED = "failed", "Failed"


# The pull schedule's bookkeeping moves on its own; the secret header is never on record.
@audited(
    exclude=(
        "auth_header",
        "csv_text",
        "next_run_at",
        "last_run_at",
        "last_status",
        "consecutive_failures",
    )
)
class DataSource(TenantModel):
    """Where a scheduled pull fetches values from, and how the document maps onto them."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    kind = models.CharField(max_length=4, choices=SourceKind.choices)
    url = models.URLField(max_length=1000, blank=True)
    auth_header = EncryptedTextField(
        blank=True, help_text="Sent as the Authorization header; never shown."
    )
    csv_text = models.TextField(blank=True, help_text="An uploaded CSV file, when there is no URL.")
    records_path = models.CharField(
        max_length=200, blank=True, help_text="Dotted path to the list of records; empty: the root."
    )
    kpi_field = models.CharField(max_length=100, default="kpi")
    date_field = models.CharField(max_length=100, default="date")
    value_field = models.CharField(max_length=100, default="value")
    confidence_field = models.CharField(max_length=100, blank=True)
    interval_minutes = models.PositiveIntegerField(null=True, blank=True)
    cron = models.CharField(
        max_length=100, blank=True, help_text="Cron expression in the organisation's time zone."
    )
    enabled = models.BooleanField(default=True)
    data_owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    next_run_at = models.DateTimeField(null=True, blank=True, db_index=True)
    last_run_at = models.DateTimeField(null=True, blank=True)
    last_status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.NEVER)
    consecutive_failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class IngestionRun(TenantModel):
    """One attempt of one pull: the run log people read when numbers are missing.

    The row is written when the pull is claimed (`queued`), in the same transaction that moves
    the source's `next_run_at`, so the work to do is on record before the broker hears of it.
    A worker turns it `running` with a conditional UPDATE (a duplicate delivery finds it taken)
    and closes it `ok` or `failed`; a retry is a new row with the next attempt number.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    source = models.ForeignKey(DataSource, on_delete=models.CASCADE, related_name="runs")
    slot = models.DateTimeField(help_text="The scheduled time this pull was for.")
    attempt = models.PositiveSmallIntegerField(default=1)
    queued_at = models.DateTimeField(default=timezone.now)
    due_at = models.DateTimeField(
        default=timezone.now,
        help_text="When it was last handed to the broker (or its retry falls due); the sweep "
        "hands a run out again if it is still queued a while after this.",
    )
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=RunStatus.choices, default=RunStatus.QUEUED)
    rows_read = models.PositiveIntegerField(default=0)
    rows_written = models.PositiveIntegerField(default=0)
    error = models.TextField(blank=True)

    class Meta:
        ordering = ["-queued_at", "-attempt"]
        constraints = [
            # Attempts are numbered from the database; two sweeps cannot both add attempt n.
            models.UniqueConstraint(
                fields=["organization", "source", "slot", "attempt"], name="one_run_per_attempt"
            )
        ]
        indexes = [
            # The sweep reads only the open runs, a handful among months of history.
            models.Index(
                fields=["status", "due_at"],
                condition=models.Q(status__in=["queued", "running"]),
                name="ingestionrun_open",
            )
        ]

    def __str__(self) -> str:
        return f"{self.source_id} {self.slot:%Y-%m-%d %H:%M} #{self.attempt} {self.status}"


class KpiPin(TenantModel):
    """A KPI a person pinned to their dashboard, next to the organisation's key metrics."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="pins")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "user", "kpi"], name="pin_once")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} pinned {self.kpi_id}"


# --- Foresight: forecasts, their track record, lead→lag evidence ------------------------------


class Forecast(TenantModel):
    """One forecast of a KPI as it was made: when, from which values, by which method and with
    what out-of-sample error. Never overwritten: a new value makes a new version, and the old
    ones are scored against the actuals as they arrive."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="forecasts")
    version = models.PositiveIntegerField()
    made_at = models.DateTimeField(default=timezone.now)
    method = models.CharField(max_length=16, choices=Method.choices)
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    origin = models.DateField(null=True, blank=True, help_text="The last period with a value.")
    n_points = models.PositiveIntegerField(help_text="Periods of history it was fitted on.")
    judged = models.BooleanField(help_text="Chosen by rolling-origin error (not a fallback).")
    mase = models.FloatField(null=True, blank=True, help_text="Its rolling-origin MASE.")
    baseline = models.CharField(max_length=16, choices=Method.choices)
    baseline_mase = models.FloatField(null=True, blank=True)
    beats_baseline = models.BooleanField(help_text="Some method beat the seasonal-naive baseline.")
    scale = models.FloatField(help_text="The MASE denominator its later errors are scaled by.")
    widening = models.FloatField(default=1.0, help_text="Band widening for weak grades.")
    candidates = models.JSONField(default=dict, blank=True, help_text="MASE per method tried.")
    failed = models.JSONField(default=dict, blank=True, help_text="Methods that failed, and why.")
    note = models.CharField(max_length=300, blank=True)
    inputs_digest = models.CharField(max_length=64, help_text="Of the values it was made from.")

    class Meta:
        ordering = ["kpi_id", "-version"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "version"], name="one_forecast_per_version"
            )
        ]
        indexes = [models.Index(fields=["kpi", "-version"], name="forecast_kpi_latest")]

    def __str__(self) -> str:
        return f"{self.kpi_id} v{self.version} ({self.method})"


class ForecastPoint(TenantModel):
    """One period of a forecast, and once its actual is in, how far off it was."""

    forecast = models.ForeignKey(Forecast, on_delete=models.CASCADE, related_name="points")
    # The forecast's KPI again: scoring joins points to values by (KPI, period) in one statement.
    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="+")
    period_date = models.DateField()
    horizon = models.PositiveSmallIntegerField(help_text="Periods after the forecast's origin.")
    value = models.FloatField()
    sd = models.FloatField(help_text="Standard deviation of the forecast distribution.")
    lo80 = models.FloatField()
    hi80 = models.FloatField()
    lo95 = models.FloatField()
    hi95 = models.FloatField()
    actual = models.FloatField(null=True, blank=True)
    scaled_error = models.FloatField(
        null=True, blank=True, help_text="|actual − forecast| over the forecast's MASE scale."
    )
    smape = models.FloatField(null=True, blank=True)

    class Meta:
        ordering = ["forecast_id", "horizon"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "forecast", "horizon"], name="one_point_per_horizon"
            )
        ]
        indexes = [models.Index(fields=["kpi", "period_date"], name="forecastpoint_kpi_period")]

    def __str__(self) -> str:
        return f"{self.forecast_id} h{self.horizon} {self.period_date}: {self.value:g}"


class ForecastAccuracy(TenantModel):
    """A KPI's track record per horizon: how far its past forecasts were off, h periods out."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="forecast_accuracy")
    horizon = models.PositiveSmallIntegerField()
    scored = models.PositiveIntegerField(help_text="Past forecast points with an actual.")
    mase = models.FloatField()
    smape = models.FloatField()
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["kpi_id", "horizon"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi", "horizon"], name="one_accuracy_per_horizon"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} h{self.horizon}: MASE {self.mase:.2f}"


class LinkVerdict(models.TextChoices):
    SUPPORTED = "supported", "Supported by the data"
    NOT_SUPPORTED = "not_supported", "Not supported by the data"
    NOT_ENOUGH_DATA = "not_enough_data", "Not enough data"


class LinkEvidence(TenantModel):
    """Whether the data bear out a declared lead→lag link (see metrics.forecasting.leadlag)."""

    # One per link by the constraint below, which includes the organisation (a OneToOneField
    # would add a unique index on the link alone).
    link = models.ForeignKey(KpiLink, on_delete=models.CASCADE, related_name="evidence")
    verdict = models.CharField(max_length=16, choices=LinkVerdict.choices)
    cadence = models.CharField(max_length=10, choices=Cadence.choices)
    best_lag = models.PositiveSmallIntegerField(null=True, blank=True)
    correlation = models.FloatField(null=True, blank=True, help_text="At the best lag.")
    p_value = models.FloatField(null=True, blank=True, help_text="Permutation test of max |r|.")
    n_points = models.PositiveIntegerField(default=0)
    correlations = models.JSONField(default=dict, blank=True, help_text="r per lag.")
    note = models.CharField(max_length=300, blank=True)
    computed_at = models.DateTimeField(default=timezone.now)
    inputs_digest = models.CharField(max_length=64)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization", "link"], name="one_evidence_per_link")
        ]

    def __str__(self) -> str:
        return f"{self.link_id}: {self.verdict}"


class ForecastRefresh(TenantModel):
    """A KPI whose forecast is to be made again because values arrived: written by ingestion in
    the transaction that stores them (so no request ever waits on the broker), handed to a
    worker by the every-minute dispatcher once the burst has settled."""

    kpi = models.ForeignKey(Kpi, on_delete=models.CASCADE, related_name="+")
    requested_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "kpi"], name="one_forecast_refresh_per_kpi"
            )
        ]
        indexes = [models.Index(fields=["requested_at"], name="forecastrefresh_due")]

    def __str__(self) -> str:
        return f"refresh {self.kpi_id} since {self.requested_at:%Y-%m-%d %H:%M}"
