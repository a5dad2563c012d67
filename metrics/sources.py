"""Scheduled pulls: data-source rules, claiming due pulls, and the pull itself.

Every value a pull finds goes through the one ingestion service (metrics.ingestion), so a pull
that runs twice writes each value once, and a bad document writes nothing.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import zoneinfo
from typing import Any

import requests
from croniter import croniter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from metrics.ingestion import BatchRejected, RawValue, values_ingest
from metrics.models import DataSource, IngestionRun, RunStatus, Source, SourceKind
from perfmgmt.models import Membership, Organization, Role
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_allowed, ensure_members, ensure_same_org, validated_save

SOURCE_FIELDS = (
    "name",
    "kind",
    "url",
    "csv_text",
    "records_path",
    "kpi_field",
    "date_field",
    "value_field",
    "confidence_field",
    "interval_minutes",
    "cron",
    "enabled",
    "data_owner",
)


class TransientSourceError(Exception):
    """The source could not be reached or answered 5xx: worth trying again."""


class SourceDataError(Exception):
    """The source answered, but with something we cannot store: retrying will not help."""


def next_run_after(source: DataSource, after: dt.datetime) -> dt.datetime:
    """The next scheduled time strictly after `after`, in the organisation's time zone."""
    if source.cron:
        tz = zoneinfo.ZoneInfo(source.organization.timezone)
        return croniter(source.cron, after.astimezone(tz)).get_next(dt.datetime)
    return after + dt.timedelta(minutes=source.interval_minutes or 60)


@transaction.atomic
def source_save(
    *, org: Organization, actor: Membership, source: DataSource | None = None, **fields: Any
) -> DataSource:
    """Create or change a data source. An empty `auth_header` keeps the stored secret."""
    source = source or DataSource(organization=org)
    ensure_same_org(org, source=source, actor=actor)
    ensure_allowed(actor.role == Role.ADMIN, "Only admins manage data sources.")
    ensure_members(org, data_owner=fields.get("data_owner"))
    secret = fields.pop("auth_header", "")
    for name, value in fields.items():
        if name not in SOURCE_FIELDS:
            raise ValidationError({name: "Unknown field."})
        setattr(source, name, value)
    if secret:
        source.auth_header = secret
    errors: dict[str, str] = {}
    if bool(source.cron) == bool(source.interval_minutes):
        errors["cron"] = "Give either an interval in minutes or a cron expression."
    elif source.cron and not croniter.is_valid(source.cron):
        errors["cron"] = "This is not a valid cron expression (e.g. '0 6 * * 1')."
    if source.kind == SourceKind.JSON and not source.url:
        errors["url"] = "A JSON source needs a URL."
    if source.kind == SourceKind.CSV and not (source.url or source.csv_text):
        errors["url"] = "A CSV source needs a URL or an uploaded file."
    if errors:
        raise ValidationError(errors)
    source.organization = org
    if source.enabled and source.next_run_at is None:
        source.next_run_at = timezone.now()
    validated_save(org, source)
    return source


def sources_claim_due(*, now: dt.datetime | None = None) -> list[tuple[int, str, str]]:
    """Claim every due pull once: (org_id, source_id, slot) for each claimed.

    The claim moves `next_run_at` on with a conditional UPDATE that only succeeds if nobody moved
    it first, so two beats (or a retried dispatcher) never pull a source twice for one slot.
    """
    now = now or timezone.now()
    claimed = []
    with scopes_disabled():
        due = list(
            DataSource.objects.select_related("organization").filter(
                enabled=True, next_run_at__lte=now
            )
        )
        for source in due:
            slot = source.next_run_at
            following = next_run_after(source, max(slot, now))
            won = DataSource.objects.filter(pk=source.pk, next_run_at=slot).update(
                next_run_at=following
            )
            if won == 1:
                claimed.append((source.organization_id, str(source.pk), slot.isoformat()))
    return claimed


def _fetch(source: DataSource) -> bytes:
    if not source.url:
        return source.csv_text.encode()
    headers = {"Authorization": source.auth_header} if source.auth_header else {}
    try:
        response = requests.get(
            source.url, headers=headers, timeout=settings.SOURCE_HTTP_TIMEOUT, stream=True
        )
    except requests.RequestException as exc:
        raise TransientSourceError(f"Could not reach {source.url}: {exc}") from exc
    with response:
        if response.status_code >= 500:
            raise TransientSourceError(f"{source.url} answered HTTP {response.status_code}")
        if response.status_code >= 400:
            raise SourceDataError(f"{source.url} answered HTTP {response.status_code}")
        body = response.raw.read(settings.SOURCE_MAX_BYTES + 1, decode_content=True)
    if len(body) > settings.SOURCE_MAX_BYTES:
        raise SourceDataError(f"The document is larger than {settings.SOURCE_MAX_BYTES} bytes.")
    return body


def _records(source: DataSource, body: bytes) -> list[dict]:
    if source.kind == SourceKind.CSV:
        try:
            return list(csv.DictReader(io.StringIO(body.decode("utf-8-sig"))))
        except (UnicodeDecodeError, csv.Error) as exc:
            raise SourceDataError(f"The CSV cannot be read: {exc}") from exc
    try:
        document = json.loads(body, parse_constant=float)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceDataError(f"The response is not valid JSON: {exc}") from exc
    for part in filter(None, source.records_path.split(".")):
        if not isinstance(document, dict) or part not in document:
            raise SourceDataError(f"records_path: no '{part}' in the document.")
        document = document[part]
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise SourceDataError("records_path: it must lead to a list of objects.")
    return document


def _number(raw: Any) -> Any:
    """CSV cells are text; JSON numbers stay as they are (a JSON string stays a string)."""
    if isinstance(raw, str):
        try:
            return float(raw)
        except ValueError:
            return raw
    return raw


def source_rows(source: DataSource, records: list[dict]) -> list[RawValue]:
    mapping = {
        "kpi": source.kpi_field,
        "period_date": source.date_field,
        "value": source.value_field,
    }
    rows = []
    for index, record in enumerate(records):
        missing = [column for column in mapping.values() if column not in record]
        if missing:
            raise SourceDataError(
                f"Row {index}: no field {', '.join(missing)} (check the mapping)."
            )
        value = record[source.value_field]
        rows.append(
            RawValue(
                kpi=record[source.kpi_field],
                period_date=record[source.date_field],
                value=_number(value) if source.kind == SourceKind.CSV else value,
                confidence=record.get(source.confidence_field) if source.confidence_field else None,
            )
        )
    return rows


def source_pull(
    *, org: Organization, source_id: str, slot: dt.datetime, attempt: int = 1
) -> IngestionRun:
    """Pull one source for one slot and record the run. Raises TransientSourceError (after
    recording the failed attempt) when a retry may help."""
    with org_scope(org):
        source = DataSource.objects.select_related("organization").get(pk=source_id)
        run = IngestionRun.objects.create(
            organization=org, source=source, slot=slot, attempt=attempt
        )
    try:
        records = _records(source, _fetch(source))
        rows = source_rows(source, records)
        run.rows_read = len(rows)
        result = values_ingest(org=org, rows=rows, source=Source.PULL)
    except BatchRejected as rejected:
        details = "; ".join(f"row {e.index} {e.field}: {e.message}" for e in rejected.errors[:20])
        _finish(run, source, RunStatus.FAILED, f"Nothing written. {details}")
    except SourceDataError as exc:
        _finish(run, source, RunStatus.FAILED, str(exc))
    except TransientSourceError as exc:
        _finish(run, source, RunStatus.FAILED, str(exc))
        raise
    else:
        run.rows_written = result.inserted + result.updated
        _finish(run, source, RunStatus.OK, "")
    return run


def _finish(run: IngestionRun, source: DataSource, status: str, error: str) -> None:
    now = timezone.now()
    run.status, run.error, run.finished_at = status, error, now
    run.save()
    failures = 0 if status == RunStatus.OK else source.consecutive_failures + 1
    with org_scope(source.organization):
        DataSource.objects.filter(pk=source.pk).update(
            last_run_at=now, last_status=status, consecutive_failures=failures
        )
    source.consecutive_failures = failures
    if failures == settings.SOURCE_FAILURES_BEFORE_ALERT:
        from reviews.reminders import notify_source_failing

        notify_source_failing(source=source, run=run)


def source_list(*, org: Organization) -> list[DataSource]:
    with org_scope(org):
        return list(DataSource.objects.select_related("data_owner"))


def source_runs(*, org: Organization, source: DataSource, limit: int = 50) -> list[IngestionRun]:
    with org_scope(org):
        return list(IngestionRun.objects.filter(source=source)[:limit])
