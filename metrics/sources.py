"""Scheduled pulls: data-source rules, claiming due pulls, and the pull itself.

Every value a pull finds goes through the one ingestion service (metrics.ingestion), so a pull
that runs twice writes each value once, and a bad document writes nothing.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from dataclasses import dataclass
from typing import Any

from croniter import croniter
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django_scopes import scopes_disabled

from metrics.ingestion import (
    BatchRejected,
    ColumnMap,
    IngestionBusy,
    RawValue,
    RowError,
    values_from_csv,
    values_from_objects,
    values_ingest,
)
from metrics.models import DataSource, IngestionRun, RunStatus, Source, SourceKind
from metrics.signals import source_failing
from perfmgmt import outbound
from perfmgmt.history import record_source
from perfmgmt.models import Membership, Organization
from perfmgmt.selectors import get_or_404
from perfmgmt.tenancy import org_scope
from perfmgmt.validation import ensure_admin, ensure_members, ensure_same_org, validated_save

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
    ensure_admin(actor, "manage data sources")
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
    if source.url and "url" not in errors:
        try:
            outbound.validate_outbound_url(source.url)
        except ValidationError as exc:
            errors["url"] = exc.messages[0]
    if errors:
        raise ValidationError(errors)
    source.organization = org
    if source.enabled and source.next_run_at is None:
        source.next_run_at = timezone.now()
    validated_save(org, source)
    return source


def sources_claim_due(*, now: dt.datetime | None = None) -> list[IngestionRun]:
    """Claim every due pull once and record it as a queued run; returns the runs to enqueue.

    The claim moves `next_run_at` on with a conditional UPDATE that only succeeds if nobody moved
    it first, so two beats (or a retried dispatcher) never pull a source twice for one slot. The
    queued `IngestionRun` commits in the same transaction: if the broker never hears of it, the
    sweep (`runs_sweep`) still finds it.
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
            assert slot is not None  # next_run_at__lte matched it, so it is set
            following = next_run_after(source, max(slot, now))
            with transaction.atomic():
                won = DataSource.objects.filter(pk=source.pk, next_run_at=slot).update(
                    next_run_at=following
                )
                if won == 1:
                    claimed.append(
                        IngestionRun.objects.create(
                            organization_id=source.organization_id,
                            source=source,
                            slot=slot,
                            attempt=1,
                            queued_at=now,
                            due_at=now,
                        )
                    )
    return claimed


def retry_delay(attempt: int) -> int:
    """Seconds before attempt `attempt + 1` of a pull whose attempt `attempt` failed."""
    backoff: int = 5 * 2 ** (attempt - 1)  # attempts count from 1: a whole power of two
    return min(backoff, 60)


def runs_sweep(*, now: dt.datetime | None = None) -> list[IngestionRun]:
    """Find pulls that were claimed but never started or never finished; returns the runs to
    (re)enqueue.

    - queued past `SOURCE_REQUEUE_AFTER` since it was last handed out: the broker lost the task
      (Redis restarted, the publish failed). It is handed out again; if the first message turns
      up after all, the worker's conditional claim makes it a no-op.
    - running past `TASK_LOST_AFTER` (the hard time limit and a margin): no worker can still be
      on it, it died or was killed. The run is closed as failed and the next attempt queued.

    Every change is a conditional UPDATE on the value read, so two sweeps never both act.
    """
    now = now or timezone.now()
    to_enqueue = []
    with scopes_disabled():
        stale_queued = IngestionRun.objects.filter(
            status=RunStatus.QUEUED,
            due_at__lt=now - dt.timedelta(seconds=settings.SOURCE_REQUEUE_AFTER),
        )
        for run in stale_queued:
            handed_out = IngestionRun.objects.filter(
                pk=run.pk, status=RunStatus.QUEUED, due_at=run.due_at
            ).update(due_at=now)
            if handed_out == 1:
                run.due_at = now
                to_enqueue.append(run)
        lost = IngestionRun.objects.select_related("source__organization").filter(
            status=RunStatus.RUNNING,
            started_at__lt=now - dt.timedelta(seconds=settings.TASK_LOST_AFTER),
        )
        for run in lost:
            following = run_abandon(
                run=run, error="The worker was lost or the pull timed out.", now=now
            )
            if following is not None:
                to_enqueue.append(following)
    return to_enqueue


def run_abandon(
    *, run: IngestionRun, error: str, now: dt.datetime | None = None
) -> IngestionRun | None:
    """Close a running attempt that will never finish as failed; returns the next attempt,
    queued, or None when the attempts are used up (or someone else closed it first)."""
    now = now or timezone.now()
    source = run.source
    with transaction.atomic():
        if not _finish(run, source, RunStatus.FAILED, error, now=now):
            return None
        return _next_attempt(run, now=now)


def source_pull_timed_out(*, org: Organization, run_id: str) -> IngestionRun | None:
    """The worker's soft time limit cut a pull short: close it and queue the next attempt."""
    with org_scope(org):
        run = IngestionRun.objects.select_related("source__organization").get(pk=run_id)
        return run_abandon(run=run, error="The pull took longer than the task time limit.")


def _next_attempt(run: IngestionRun, *, now: dt.datetime) -> IngestionRun | None:
    if run.attempt >= settings.SOURCE_PULL_MAX_ATTEMPTS:
        return None
    return IngestionRun.objects.create(
        organization_id=run.organization_id,
        source_id=run.source_id,
        slot=run.slot,
        attempt=run.attempt + 1,
        queued_at=now,
        due_at=now + dt.timedelta(seconds=retry_delay(run.attempt)),
    )


def _fetch(source: DataSource) -> bytes:
    if not source.url:
        return source.csv_text.encode()
    headers = {"Authorization": source.auth_header} if source.auth_header else {}
    try:
        response = outbound.request(
            "GET",
            source.url,
            headers=headers,
            timeout=settings.SOURCE_HTTP_TIMEOUT,
            max_bytes=settings.SOURCE_MAX_BYTES,
        )
    except outbound.OutboundUnreachable as exc:
        raise TransientSourceError(str(exc)) from exc
    except outbound.OutboundError as exc:  # refused address, too many redirects, too large
        raise SourceDataError(str(exc)) from exc
    if response.status >= 500:
        raise TransientSourceError(f"{response.host} answered HTTP {response.status}.")
    if response.status >= 400:
        raise SourceDataError(f"{response.host} answered HTTP {response.status}.")
    return response.body


def _records(body: bytes, records_path: str) -> list[Any]:
    """The list of objects a JSON document holds at `records_path`."""
    try:
        document = json.loads(body, parse_constant=float)
    except (ValueError, UnicodeDecodeError) as exc:
        raise SourceDataError(f"The response is not valid JSON: {exc}") from exc
    for part in filter(None, records_path.split(".")):
        if not isinstance(document, dict) or part not in document:
            raise SourceDataError(f"records_path: no '{part}' in the document.")
        document = document[part]
    if not isinstance(document, list) or not all(isinstance(r, dict) for r in document):
        raise SourceDataError("records_path: it must lead to a list of objects.")
    return document


def source_rows(source: DataSource, body: bytes) -> tuple[list[RawValue | None], list[RowError]]:
    """A fetched document → rows through the source's field mapping, faults named by row."""
    columns = ColumnMap(
        kpi=source.kpi_field,
        period_date=source.date_field,
        value=source.value_field,
        confidence=source.confidence_field or None,
        note=None,
        measured_at=None,
    )
    if source.kind == SourceKind.CSV:
        try:
            text = body.decode("utf-8-sig")
        except UnicodeDecodeError as exc:
            raise SourceDataError(f"The CSV cannot be read: {exc}") from exc
        return values_from_csv(text, columns=columns)
    return values_from_objects(_records(body, source.records_path), columns=columns)


@dataclass(frozen=True)
class Pull:
    """What one delivery of a pull task did: the run it ran (None: a duplicate delivery found
    the run taken, nothing done) and the next attempt queued after a transient failure."""

    run: IngestionRun | None
    retry: IngestionRun | None = None


def source_pull(*, org: Organization, run_id: str, now: dt.datetime | None = None) -> Pull:
    """Run one queued attempt of a pull and record its outcome on the run.

    The run is taken with a conditional UPDATE (queued → running), so a task delivered twice runs
    once. Values go through the one ingestion upsert, so an attempt that repeats the work of a
    lost one never duplicates a value. A transient error (source unreachable, 5xx) closes this
    attempt as failed and queues the next one, up to SOURCE_PULL_MAX_ATTEMPTS.
    """
    now = now or timezone.now()
    with org_scope(org):
        taken = IngestionRun.objects.filter(pk=run_id, status=RunStatus.QUEUED).update(
            status=RunStatus.RUNNING, started_at=now
        )
        if taken == 0:
            return Pull(run=None)
        run = IngestionRun.objects.select_related("source__organization").get(pk=run_id)
    source = run.source
    record_source(source)
    try:
        rows, errors = source_rows(source, _fetch(source))
        run.rows_read = len(rows)
        with transaction.atomic():
            # The values and the run's "ok" commit together: the log never claims a write
            # that did not happen.
            result = values_ingest(org=org, rows=rows, source=Source.PULL, errors=errors)
            run.rows_written = result.inserted + result.updated
            _finish(run, source, RunStatus.OK, "")
    except BatchRejected as rejected:
        details = "; ".join(f"row {e.index} {e.field}: {e.message}" for e in rejected.errors[:20])
        _finish(run, source, RunStatus.FAILED, f"Nothing written. {details}")
    except SourceDataError as exc:
        _finish(run, source, RunStatus.FAILED, str(exc))
    except (TransientSourceError, IngestionBusy) as exc:  # worth another attempt shortly
        with transaction.atomic():
            _finish(run, source, RunStatus.FAILED, str(exc))
            return Pull(run=run, retry=_next_attempt(run, now=timezone.now()))
    return Pull(run=run)


def _finish(
    run: IngestionRun,
    source: DataSource,
    status: str,
    error: str,
    *,
    now: dt.datetime | None = None,
) -> bool:
    """Close a running attempt; False if it was no longer running (closed by someone else)."""
    now = now or timezone.now()
    with org_scope(source.organization):
        closed = IngestionRun.objects.filter(pk=run.pk, status=RunStatus.RUNNING).update(
            status=status,
            error=error,
            finished_at=now,
            rows_read=run.rows_read,
            rows_written=run.rows_written,
        )
        if closed == 0:
            return False
        run.status, run.error, run.finished_at = status, error, now
        failures = 0 if status == RunStatus.OK else source.consecutive_failures + 1
        DataSource.objects.filter(pk=source.pk).update(
            last_run_at=now, last_status=status, consecutive_failures=failures
        )
    source.consecutive_failures = failures
    if failures == settings.SOURCE_FAILURES_BEFORE_ALERT:
        transaction.on_commit(
            lambda: source_failing.send(sender=DataSource, source=source, run=run)
        )
    return True


def source_get(*, org: Organization, source_id: str) -> DataSource:
    with org_scope(org):
        return get_or_404(DataSource.objects.all(), source_id, "data source")


def source_list(*, org: Organization) -> list[DataSource]:
    with org_scope(org):
        return list(DataSource.objects.select_related("data_owner"))


def source_runs(*, org: Organization, source: DataSource, limit: int = 50) -> list[IngestionRun]:
    with org_scope(org):
        return list(IngestionRun.objects.filter(source=source)[:limit])
