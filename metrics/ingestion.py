"""The one ingestion service: API, forms, CSV import and scheduled pulls all write values here.

A batch is validated whole before anything is written; a bad row rejects the batch and every bad
row is reported with its index, field and reason. Writing is an upsert on (organisation, KPI,
period date): the same batch again changes nothing, a changed value updates, and a value measured
earlier than the stored one never overwrites it.
"""

from __future__ import annotations

import datetime as dt
import io
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone

from metrics.models import Confidence, Kpi, MetricValue, Source
from perfmgmt.models import Membership, Organization
from perfmgmt.periods import cadence_period_start
from perfmgmt.permissions import can_record_value
from perfmgmt.tenancy import org_scope

EARLIEST_DATE = dt.date(1900, 1, 1)
MAX_DAYS_AHEAD = 400
MAX_ABS_VALUE = 1e15  # money in cents of a large company still fits; beyond is a unit mistake
NOTE_MAX = 500
CONFIDENCES = frozenset(Confidence.values)


@dataclass(frozen=True)
class RawValue:
    """One value as a client sent it: `kpi` is a KPI id or its org-unique key."""

    kpi: Any
    period_date: Any
    value: Any
    confidence: Any = None
    note: Any = ""
    measured_at: Any = None


@dataclass(frozen=True)
class RowError:
    index: int
    field: str
    message: str

    def as_dict(self) -> dict[str, Any]:
        return {"row": self.index, "field": self.field, "message": self.message}


class BatchRejected(Exception):
    """Nothing of the batch was written; `errors` names every bad row."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        self.errors = list(errors)
        first = self.errors[0]
        super().__init__(
            f"{len(self.errors)} bad row(s); "
            f"first: row {first.index}, {first.field}: {first.message}"
        )

    def as_validation_error(self) -> ValidationError:
        """For a one-row form: the errors keyed by field."""
        by_field: dict[str, list[str]] = {}
        for error in self.errors:
            by_field.setdefault(error.field, []).append(error.message)
        return ValidationError(by_field)


@dataclass
class IngestResult:
    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)


def _parse_value(raw: Any) -> float:
    if isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError("must be a number")
    try:
        number = float(raw)
    except OverflowError as exc:
        raise ValueError("is beyond the range of a number") from exc
    if math.isnan(number):
        raise ValueError("must be a number, not NaN")
    if math.isinf(number) or abs(number) > MAX_ABS_VALUE:
        raise ValueError(f"must be finite and at most {MAX_ABS_VALUE:g} in size")
    return number


def _parse_date(raw: Any, today: dt.date) -> dt.date:
    if isinstance(raw, dt.datetime):
        raise ValueError("must be a date (YYYY-MM-DD), not a date-time")
    if isinstance(raw, str):
        try:
            raw = dt.date.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError("must be a date in the form YYYY-MM-DD") from exc
    if not isinstance(raw, dt.date):
        raise ValueError("must be a date in the form YYYY-MM-DD")
    if raw < EARLIEST_DATE or raw > today + dt.timedelta(days=MAX_DAYS_AHEAD):
        raise ValueError(f"must lie between {EARLIEST_DATE} and {MAX_DAYS_AHEAD} days from today")
    return raw


def _parse_measured_at(raw: Any) -> dt.datetime | None:
    if raw is None or raw == "":
        return None
    if isinstance(raw, str):
        try:
            raw = dt.datetime.fromisoformat(raw)
        except ValueError as exc:
            raise ValueError("must be an ISO 8601 date-time") from exc
    if not isinstance(raw, dt.datetime):
        raise ValueError("must be an ISO 8601 date-time")
    if timezone.is_naive(raw):
        raise ValueError("must carry a time zone offset (e.g. 2026-11-02T09:00:00Z)")
    return raw


def _resolve_kpis(org: Organization, refs: Iterable[Any]) -> dict[str, Kpi]:
    """Map every reference (id or key) that exists in this organisation to its KPI."""
    ids: set[uuid.UUID] = set()
    keys: set[str] = set()
    for ref in refs:
        if isinstance(ref, uuid.UUID):
            ids.add(ref)
        elif isinstance(ref, str) and "\x00" not in ref:
            try:
                ids.add(uuid.UUID(ref))
            except ValueError:
                keys.add(ref)
    with org_scope(org):
        found = Kpi.objects.filter(id__in=ids) | Kpi.objects.filter(key__in=keys)
        kpis = list(found.select_related("objective__team"))
    resolved: dict[str, Kpi] = {}
    for kpi in kpis:
        resolved[str(kpi.pk)] = kpi
        resolved[kpi.key] = kpi
    return resolved


def values_validate(
    *,
    org: Organization,
    rows: Sequence[RawValue],
    actor: Membership | None = None,
) -> tuple[list[tuple], list[RowError]]:
    """Check every row; return the normalised rows to write and the errors found.

    This loop runs for every value of a 50,000-value batch, so it stays plain: no per-row
    objects beyond the result tuple.
    """
    today = timezone.localdate()
    kpis = _resolve_kpis(org, {row.kpi for row in rows if isinstance(row.kpi, str | uuid.UUID)})
    allowed = {kpi.pk: actor is None or can_record_value(actor, kpi) for kpi in kpis.values()}
    clean: list[tuple] = []
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    for index, row in enumerate(rows):
        bad = len(errors)
        ref = row.kpi
        kpi = kpis.get(str(ref)) if isinstance(ref, str | uuid.UUID) else None
        if kpi is None:
            errors.append(RowError(index, "kpi", f"no KPI {ref!r} in this organisation"))
        elif not allowed[kpi.pk]:
            errors.append(RowError(index, "kpi", "you may not record values for this KPI"))
        try:
            value = _parse_value(row.value)
        except ValueError as exc:
            errors.append(RowError(index, "value", str(exc)))
        try:
            day = _parse_date(row.period_date, today)
        except ValueError as exc:
            errors.append(RowError(index, "period_date", str(exc)))
        try:
            measured_at = _parse_measured_at(row.measured_at)
        except ValueError as exc:
            errors.append(RowError(index, "measured_at", str(exc)))
        confidence = row.confidence or Confidence.PRELIMINARY
        if not isinstance(confidence, str) or confidence not in CONFIDENCES:
            errors.append(
                RowError(index, "confidence", f"must be one of {', '.join(Confidence.values)}")
            )
        note = row.note or ""
        if not isinstance(note, str) or len(note) > NOTE_MAX or "\x00" in note:
            errors.append(RowError(index, "note", f"must be text of at most {NOTE_MAX} characters"))
        if len(errors) > bad:
            continue
        period = cadence_period_start(kpi.cadence, day)
        first = seen.setdefault((kpi.pk, period), index)
        if first != index:
            errors.append(
                RowError(
                    index, "period_date", f"duplicates row {first} (same KPI and period {period})"
                )
            )
            continue
        clean.append((kpi.pk, period, value, confidence, note, measured_at))
    return clean, errors


STAGE_SQL = """
CREATE TEMP TABLE IF NOT EXISTS metrics_ingest_stage (
    kpi_id uuid, period_date date, value double precision,
    confidence varchar(12), note varchar(500), measured_at timestamptz
);
TRUNCATE metrics_ingest_stage;
"""

MERGE_SQL = """
WITH written AS (
    INSERT INTO metrics_metricvalue AS mv
        (organization_id, kpi_id, period_date, value, confidence, note, measured_at,
         source, recorded_by_id, created_at, updated_at)
    SELECT %(org)s, kpi_id, period_date, value, confidence, note, measured_at,
           %(source)s, %(recorded_by)s, %(now)s, %(now)s
    FROM metrics_ingest_stage
    ON CONFLICT (organization_id, kpi_id, period_date) DO UPDATE SET
        value = EXCLUDED.value,
        confidence = EXCLUDED.confidence,
        note = EXCLUDED.note,
        measured_at = COALESCE(EXCLUDED.measured_at, mv.measured_at),
        source = EXCLUDED.source,
        recorded_by_id = EXCLUDED.recorded_by_id,
        updated_at = EXCLUDED.updated_at
    WHERE (mv.value, mv.confidence, mv.note) IS DISTINCT FROM
          (EXCLUDED.value, EXCLUDED.confidence, EXCLUDED.note)
      AND (EXCLUDED.measured_at IS NULL OR mv.measured_at IS NULL
           OR EXCLUDED.measured_at >= mv.measured_at)
    RETURNING (xmax = 0) AS inserted
)
SELECT count(*) FILTER (WHERE inserted), count(*) FROM written
"""

COPY_SQL = (
    "COPY metrics_ingest_stage (kpi_id, period_date, value, confidence, note, measured_at) "
    "FROM STDIN"
)
_COPY_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})
_NULL = "\\N"


def _copy_text(rows: list[tuple]) -> io.StringIO:
    """The rows in COPY's text format."""
    return io.StringIO(
        "".join(
            f"{kpi_id}\t{period}\t{value!r}\t{confidence}\t{note.translate(_COPY_ESCAPES)}\t"
            f"{measured_at.isoformat() if measured_at else _NULL}\n"
            for kpi_id, period, value, confidence, note, measured_at in rows
        )
    )


@transaction.atomic
def values_ingest(
    *,
    org: Organization,
    rows: Sequence[RawValue],
    source: str,
    actor: Membership | None = None,
) -> IngestResult:
    """Validate the whole batch, then COPY it into a staging table and upsert it with one
    INSERT … ON CONFLICT: the same statements whether the batch has one row or 50,000."""
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    clean, errors = values_validate(org=org, rows=rows, actor=actor)
    if errors:
        raise BatchRejected(errors)
    result = IngestResult(received=len(rows))
    if not clean:
        return result
    with connection.cursor() as cursor:
        cursor.execute(STAGE_SQL)
        cursor.copy_expert(COPY_SQL, _copy_text(clean))
        cursor.execute(
            MERGE_SQL,
            {
                "org": org.pk,
                "source": source,
                "recorded_by": actor.user_id if actor is not None else None,
                "now": timezone.now(),
            },
        )
        inserted, written = cursor.fetchone()
    result.inserted = inserted
    result.updated = written - inserted
    result.unchanged = len(clean) - written
    return result


def metric_value_record(
    *,
    org: Organization,
    actor: Membership,
    kpi: Kpi,
    period_date: dt.date,
    value: float,
    confidence: str = Confidence.PRELIMINARY,
    note: str = "",
) -> MetricValue:
    """Record one value by hand (the form's path): same rules, same upsert."""
    values_ingest(
        org=org,
        actor=actor,
        source=Source.MANUAL,
        rows=[
            RawValue(
                kpi=kpi.pk, period_date=period_date, value=value, confidence=confidence, note=note
            )
        ],
    )
    with org_scope(org):
        return MetricValue.objects.get(
            kpi=kpi, period_date=cadence_period_start(kpi.cadence, period_date)
        )
