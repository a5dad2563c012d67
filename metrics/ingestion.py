"""The one ingestion service: API, forms, CSV import and scheduled pulls all write values here.

A batch is validated whole before anything is written; a bad row rejects the batch and every bad
row is reported with its index, field and reason. Writing is an upsert on (organisation, KPI,
period date): the same batch again changes nothing, a changed value updates, and a value measured
earlier than the stored one never overwrites it.
"""

from __future__ import annotations

import datetime as dt
import math
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from psycopg2.extras import execute_values

from metrics.models import Confidence, Kpi, MetricValue, Source
from perfmgmt.models import Membership, Organization
from perfmgmt.periods import cadence_period_start
from perfmgmt.permissions import can_record_value
from perfmgmt.tenancy import org_scope

EARLIEST_DATE = dt.date(1900, 1, 1)
MAX_DAYS_AHEAD = 400
MAX_ABS_VALUE = 1e15  # money in cents of a large company still fits; beyond is a unit mistake
NOTE_MAX = 500


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
        elif isinstance(ref, str):
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
    """Check every row; return the normalised rows to write and the errors found."""
    today = timezone.localdate()
    kpis = _resolve_kpis(org, (row.kpi for row in rows))
    clean: list[tuple] = []
    errors: list[RowError] = []
    seen: dict[tuple, int] = {}
    for index, row in enumerate(rows):
        row_errors: list[RowError] = []
        kpi = kpis.get(str(row.kpi)) if isinstance(row.kpi, str | uuid.UUID) else None
        if kpi is None:
            row_errors.append(RowError(index, "kpi", f"no KPI {row.kpi!r} in this organisation"))
        elif actor is not None and not can_record_value(actor, kpi):
            row_errors.append(RowError(index, "kpi", "you may not record values for this KPI"))
        parsed: dict[str, Any] = {}
        for name, parse in (
            ("value", _parse_value),
            ("period_date", lambda raw: _parse_date(raw, today)),
            ("measured_at", _parse_measured_at),
        ):
            try:
                parsed[name] = parse(getattr(row, name))
            except ValueError as exc:
                row_errors.append(RowError(index, name, str(exc)))
        confidence = row.confidence or Confidence.PRELIMINARY
        if confidence not in Confidence.values:
            row_errors.append(
                RowError(index, "confidence", f"must be one of {', '.join(Confidence.values)}")
            )
        note = row.note or ""
        if not isinstance(note, str) or len(note) > NOTE_MAX:
            row_errors.append(
                RowError(index, "note", f"must be text of at most {NOTE_MAX} characters")
            )
        if row_errors:
            errors.extend(row_errors)
            continue
        period = cadence_period_start(kpi.cadence, parsed["period_date"])
        first = seen.setdefault((kpi.pk, period), index)
        if first != index:
            errors.append(
                RowError(
                    index, "period_date", f"duplicates row {first} (same KPI and period {period})"
                )
            )
            continue
        clean.append((kpi.pk, period, parsed["value"], confidence, note, parsed["measured_at"]))
    return clean, errors


UPSERT_SQL = """
INSERT INTO metrics_metricvalue AS mv
    (organization_id, kpi_id, period_date, value, confidence, note, measured_at,
     source, recorded_by_id, created_at, updated_at)
VALUES %s
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
"""


@transaction.atomic
def values_ingest(
    *,
    org: Organization,
    rows: Sequence[RawValue],
    source: str,
    actor: Membership | None = None,
) -> IngestResult:
    """Validate the whole batch, then upsert it in one statement per page of rows."""
    if source not in Source.values:
        raise ValueError(f"unknown source {source!r}")
    clean, errors = values_validate(org=org, rows=rows, actor=actor)
    if errors:
        raise BatchRejected(errors)
    now = timezone.now()
    recorded_by = actor.user_id if actor is not None else None
    result = IngestResult(received=len(rows))
    with connection.cursor() as cursor:
        returned = execute_values(
            cursor,
            UPSERT_SQL,
            [(org.pk, *row, source, recorded_by, now, now) for row in clean],
            page_size=5000,
            fetch=True,
        )
    result.inserted = sum(1 for (inserted,) in returned if inserted)
    result.updated = len(returned) - result.inserted
    result.unchanged = len(clean) - len(returned)
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
