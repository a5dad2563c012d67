"""The one ingestion service: API, forms, CSV import and scheduled pulls all write values here.

A batch is validated whole before anything is written; a bad row rejects the batch and every bad
row is reported with its index, field and reason, structural faults (a missing or unknown field)
and value faults alike, up to MAX_REPORTED_ERRORS. Writing is an upsert on (organisation, KPI,
period date): the same batch again changes nothing, a changed value updates, and a value measured
earlier than the stored one never overwrites it.

Concurrency: rows are written in one order, (KPI, period date), so two batches that overlap take
their row locks in the same sequence and wait for each other instead of deadlocking. Should
PostgreSQL still report a deadlock or serialization failure (a trigger, another writer), the
write is retried in a savepoint a few times; if it cannot win, `IngestionBusy` says to come back
later and nothing of the batch is written.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import logging
import math
import random
import time
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import OperationalError, connection, transaction
from django.utils import timezone

from metrics.forecasting.hooks import REFRESH_SQL
from metrics.models import Confidence, Kpi, MetricValue, Source
from metrics.selectors import kpis_by_ref
from perfmgmt.models import ApiKey, Membership, Organization
from perfmgmt.periods import cadence_period_start
from perfmgmt.permissions import can_record_value
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import EARLIEST_DATE, ensure_date_in_window

logger = logging.getLogger(__name__)

MAX_DAYS_AHEAD = 400
# A batch may have 50,000 bad rows; the answer names this many and counts the rest.
MAX_REPORTED_ERRORS = 1000
# Deadlock / serialization failure: tries before giving up with IngestionBusy.
WRITE_ATTEMPTS = 5
RETRYABLE_SQLSTATES = frozenset({"40P01", "40001"})  # deadlock_detected, serialization_failure
MAX_ABS_VALUE = 1e15  # money in cents of a large company still fits; beyond is a unit mistake
NOTE_MAX = 500
CONFIDENCES = frozenset(Confidence.values)


class _Missing:
    """A required field the client left out (distinct from an explicit null)."""

    def __repr__(self) -> str:
        return "MISSING"


MISSING: Any = _Missing()
REQUIRED_FIELDS = ("kpi", "period_date", "value")
OPTIONAL_FIELDS = ("confidence", "note", "measured_at")
VALUE_FIELDS = REQUIRED_FIELDS + OPTIONAL_FIELDS  # what a value is made of, on every path


@dataclass(frozen=True)
class RawValue:
    """One value as a client sent it: `kpi` is a KPI id or its org-unique key."""

    kpi: Any = MISSING
    period_date: Any = MISSING
    value: Any = MISSING
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
    """Nothing of the batch was written; `errors` names the bad rows (at most
    MAX_REPORTED_ERRORS of them, in row order) and `error_count` counts them all."""

    def __init__(self, errors: Sequence[RowError]) -> None:
        ordered = sorted(errors, key=lambda error: error.index)
        self.error_count = len(ordered)
        self.errors = ordered[:MAX_REPORTED_ERRORS]
        self.bad_rows = len({error.index for error in ordered})
        first = self.errors[0]
        super().__init__(
            f"{self.bad_rows} bad row(s), {self.error_count} error(s); "
            f"first: row {first.index}, {first.field}: {first.message}"
        )

    @property
    def truncated(self) -> bool:
        return self.error_count > len(self.errors)

    def as_validation_error(self) -> ValidationError:
        """For a one-row form: the errors keyed by field."""
        by_field: dict[str, list[str]] = {}
        for error in self.errors:
            by_field.setdefault(error.field, []).append(error.message)
        return ValidationError(by_field)


class IngestionBusy(Exception):
    """The batch kept losing to concurrent writers; nothing was written. Try again shortly."""

    retry_after = 2  # seconds a client should wait before sending the batch again
    message = "Others are saving the same values right now; nothing was saved. Try again."

    def __init__(self) -> None:
        super().__init__(self.message)

    def as_validation_error(self) -> ValidationError:
        """For a form: a fault of the whole submission, not of one field."""
        return ValidationError(self.message)


@dataclass
class IngestResult:
    received: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass(frozen=True)
class ColumnMap:
    """Where each field of a value is found in a record (a CSV column, a JSON object's key):
    by default under its own name. None: the records do not carry that (optional) field."""

    kpi: str = "kpi"
    period_date: str = "period_date"
    value: str = "value"
    confidence: str | None = "confidence"
    note: str | None = "note"
    measured_at: str | None = "measured_at"

    def missing(self, names: Iterable[str]) -> list[str]:
        """The required columns not among `names`."""
        present = set(names)
        return [getattr(self, f) for f in REQUIRED_FIELDS if getattr(self, f) not in present]

    def read(self, record: dict) -> dict[str, Any]:
        """The fields of a value found in `record`, by field name."""
        found = ((field, getattr(self, field)) for field in VALUE_FIELDS)
        return {field: record[column] for field, column in found if column in record}


def values_from_objects(
    items: Any, *, columns: ColumnMap | None = None
) -> tuple[list[RawValue | None], list[RowError]]:
    """JSON objects (the API, JSON pulls) → rows, with structural faults named by row and field.

    A row with a missing or unknown field is still returned (missing fields as MISSING), so its
    other fields are checked too and the client hears of every fault in one answer; an item that
    is not an object becomes None, which validation skips.

    With `columns` (a JSON pull's mapping) each object is read through it: its other keys are
    the source's business, and an object without a mapped required key is a fault of that row.
    """
    rows: list[RawValue | None] = []
    errors: list[RowError] = []
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            errors.append(RowError(index, "values", "must be an object"))
            rows.append(None)
            continue
        if columns is None:
            unknown = [name for name in item if name not in VALUE_FIELDS]
            errors += [RowError(index, str(name), "unknown field") for name in unknown]
            rows.append(RawValue(**{name: item[name] for name in VALUE_FIELDS if name in item}))
            continue
        missing = columns.missing(item)
        if missing:
            message = f"no field {', '.join(missing)} (check the mapping)"
            errors.append(RowError(index, "values", message))
            rows.append(None)
            continue
        rows.append(RawValue(**columns.read(item)))
    return rows, errors


def _number(cell: str) -> Any:
    """A CSV cell as a number when it reads as one; other text is left for validation to name."""
    try:
        return float(cell)
    except ValueError:
        return cell


def values_from_csv(
    text: str, *, columns: ColumnMap = ColumnMap()
) -> tuple[list[RawValue | None], list[RowError]]:
    """CSV text with a header row (the import page, CSV pulls) → rows, faults named by row.

    Every cell and column name is stripped of surrounding whitespace; an empty optional cell is
    no value. A file without a required column names it on every row (the row is None, which
    validation skips), and so does a row the csv module cannot read (reading stops there). Row
    indexes count data rows from 0, as for values_from_objects.
    """
    rows: list[RawValue | None] = []
    errors: list[RowError] = []
    reader = csv.DictReader(io.StringIO(text))
    try:
        reader.fieldnames = [name.strip() for name in reader.fieldnames or []]
        missing = columns.missing(reader.fieldnames)
        for index, record in enumerate(reader):
            if missing:
                errors.append(RowError(index, "columns", f"no column {', '.join(missing)}"))
                rows.append(None)
                continue
            cells = {field: (raw or "").strip() for field, raw in columns.read(record).items()}
            rows.append(
                RawValue(
                    kpi=cells["kpi"],
                    period_date=cells["period_date"],
                    value=_number(cells["value"]),
                    confidence=cells.get("confidence") or None,
                    note=cells.get("note", ""),
                    measured_at=cells.get("measured_at") or None,
                )
            )
    except csv.Error as exc:
        errors.append(RowError(len(rows), "columns", f"the CSV cannot be read: {exc}"))
    return rows, errors


def _parse_value(raw: Any) -> float:
    if raw is MISSING:
        raise ValueError("this field is required")
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
    if raw is MISSING:
        raise ValueError("this field is required")
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
    ensure_date_in_window(raw)
    return raw


def values_validate(
    *,
    org: Organization,
    rows: Sequence[RawValue | None],
    actor: Membership | None = None,
    errors: Sequence[RowError] = (),
) -> tuple[list[tuple], list[RowError]]:
    """Check every row; return the normalised rows to write and the errors found, `errors`
    (what a parser found before, see values_from_objects) among them.

    This loop runs for every value of a 50,000-value batch, so it stays plain: no per-row
    objects beyond the result tuple. A None row (not an object) was reported by its parser.
    """
    # The server's (UTC) date, not the organisation's: the window is 400 days wide, so a day
    # either way only moves its far edge, and one batch is judged the same for every tenant.
    today = timezone.localdate()
    refs = {row.kpi for row in rows if row is not None and isinstance(row.kpi, str | uuid.UUID)}
    kpis = kpis_by_ref(org=org, refs=refs)
    allowed = {kpi.pk: actor is None or can_record_value(actor, kpi) for kpi in kpis.values()}
    clean: list[tuple] = []
    parsed_bad = {error.index for error in errors}
    errors = list(errors)
    seen: dict[tuple, int] = {}
    for index, row in enumerate(rows):
        if row is None:
            continue
        bad = len(errors)
        ref = row.kpi
        kpi = kpis.get(ref) if isinstance(ref, str | uuid.UUID) else None
        if ref is MISSING:
            errors.append(RowError(index, "kpi", "this field is required"))
        elif kpi is None:
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
        if kpi is None or len(errors) > bad or index in parsed_bad:
            continue  # (a row without its KPI has had its error appended above)
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
         source, recorded_by_id, recorded_by_key_id, created_at, updated_at)
    SELECT %(org)s, kpi_id, period_date, value, confidence, note, measured_at,
           %(source)s, %(recorded_by)s, %(recorded_by_key)s, %(now)s, %(now)s
    FROM metrics_ingest_stage
    ORDER BY kpi_id, period_date  -- one lock order for every batch: waits, never deadlocks
    ON CONFLICT (organization_id, kpi_id, period_date) DO UPDATE SET
        value = EXCLUDED.value,
        confidence = EXCLUDED.confidence,
        note = EXCLUDED.note,
        measured_at = COALESCE(EXCLUDED.measured_at, mv.measured_at),
        source = EXCLUDED.source,
        recorded_by_id = EXCLUDED.recorded_by_id,
        recorded_by_key_id = EXCLUDED.recorded_by_key_id,
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


def _retryable(exc: OperationalError) -> bool:
    return getattr(exc.__cause__, "pgcode", None) in RETRYABLE_SQLSTATES


def _write(
    org: Organization,
    clean: list[tuple],
    source: str,
    actor: Membership | None,
    api_key: ApiKey | None = None,
) -> tuple[int, int]:
    """COPY the rows into the staging table and upsert them; (inserted, written)."""
    with connection.cursor() as cursor:
        cursor.execute(STAGE_SQL)
        cursor.copy_expert(COPY_SQL, _copy_text(clean))
        cursor.execute(
            MERGE_SQL,
            {
                "org": org.pk,
                "source": source,
                "recorded_by": actor.user_id if actor is not None else None,
                "recorded_by_key": api_key.pk if api_key is not None else None,
                "now": timezone.now(),
            },
        )
        counts: tuple[int, int] = cursor.fetchone()  # MERGE_SQL's one row of two counts
        if counts[1]:
            # New numbers: their KPIs' forecasts are made again (metrics.forecasting.hooks),
            # recorded with the values, so the writer never waits on the broker.
            cursor.execute(REFRESH_SQL, {"org": org.pk, "now": timezone.now()})
        return counts


def values_ingest(
    *,
    org: Organization,
    rows: Sequence[RawValue | None],
    source: str,
    actor: Membership | None = None,
    errors: Sequence[RowError] = (),
    api_key: ApiKey | None = None,
) -> IngestResult:
    """Validate the whole batch, then COPY it into a staging table and upsert it with one
    INSERT … ON CONFLICT: the same statements whether the batch has one row or 50,000.

    `errors` are faults a parser already found (see values_from_objects); they are reported
    together with validation's. A value written by a machine records its `api_key`.
    Raises BatchRejected or IngestionBusy, writing nothing.
    """
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    clean, errors = values_validate(org=org, rows=rows, actor=actor, errors=errors)
    if errors:
        raise BatchRejected(errors)
    result = IngestResult(received=len(rows))
    if not clean:
        return result
    # Sorted here too, so the staging table (and any trigger) sees the rows in lock order.
    clean.sort(key=lambda row: (str(row[0]), row[1]))
    for attempt in range(1, WRITE_ATTEMPTS + 1):
        try:
            # A savepoint when the caller holds a transaction, so a lost round can be retried.
            with transaction.atomic():
                inserted, written = _write(org, clean, source, actor, api_key)
            break
        except OperationalError as exc:
            if not _retryable(exc):
                raise
            logger.warning("ingestion lost a lock race (attempt %d): %s", attempt, exc)
            if attempt == WRITE_ATTEMPTS:
                raise IngestionBusy from exc
            time.sleep(random.uniform(0.02, 0.1) * attempt)
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
