"""Celery tasks for scheduled pulls and for the statistics of series (forecasts, lead→lag
evidence). Ids only, org first; each task enters the scope itself.

Nothing here decides what is due or whether a pull is retried: the services record every
attempt as an `IngestionRun` first, and these tasks only hand run ids to the broker.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import OperationalError, transaction
from django.http import Http404

from metrics.forecasting.hooks import forecast_refresh_again, forecast_refreshes_claim
from metrics.forecasting.services import kpi_forecast_refresh, org_links_refresh
from metrics.models import IngestionRun, Kpi, RunStatus
from metrics.sources import (
    retry_delay,
    runs_sweep,
    source_pull,
    source_pull_timed_out,
    sources_claim_due,
)
from perfmgmt.models import Organization
from perfmgmt.tenancy import org_scope

logger = logging.getLogger(__name__)


def _enqueue(run: IngestionRun, *, countdown: int = 0) -> None:
    """Hand a recorded run to the broker once its transaction has committed.

    A failed publish (broker down) is logged, not raised: the run is already on record as
    queued, and the sweep hands it out again once the broker is back. `robust` keeps one failed
    publish from skipping the others of the same commit.
    """

    def publish() -> None:
        source_pull_task.apply_async((run.organization_id, str(run.pk)), countdown=countdown)

    transaction.on_commit(publish, robust=True)


@shared_task
def sources_dispatch() -> int:
    """Every minute (beat): claim the due pulls, and sweep up runs the broker or a worker lost."""
    claimed = sources_claim_due()
    for run in claimed:
        _enqueue(run)
    for run in runs_sweep():
        _enqueue(run)
    return len(claimed)


@shared_task
def source_pull_task(org_id: int, run_id: str) -> str:
    org = Organization.objects.get(pk=org_id)
    try:
        pull = source_pull(org=org, run_id=run_id)
    except SoftTimeLimitExceeded:
        following = source_pull_timed_out(org=org, run_id=run_id)
        if following is not None:
            _enqueue(following, countdown=retry_delay(following.attempt - 1))
        return RunStatus.FAILED
    if pull.run is None:
        logger.info("Run %s was already taken: a duplicate delivery, nothing to do", run_id)
        return "duplicate"
    if pull.retry is not None:
        _enqueue(pull.retry, countdown=retry_delay(pull.run.attempt))
    return pull.run.status


# --- Foresight: forecasts and lead→lag evidence -----------------------------------------------
# (Values arriving schedule kpi_forecast_task through metrics.forecasting.hooks, by name.)


def _publish_forecast(org_id: int, kpi_id: str) -> None:
    kpi_forecast_task.apply_async((org_id, kpi_id))


@shared_task(autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True)
def kpi_forecast_task(org_id: int, kpi_id: str) -> str:
    """Recompute one KPI's forecast (a no-op when its values have not changed since)."""
    org = Organization.objects.get(pk=org_id)
    try:
        with org_scope(org):
            forecast = kpi_forecast_refresh(org=org, kpi_id=kpi_id)
    except Http404:
        return "gone"  # the KPI was deleted after the recompute was scheduled
    return f"v{forecast.version} {forecast.method}"


@shared_task(autoretry_for=(OperationalError,), max_retries=3, retry_backoff=True)
def org_links_task(org_id: int) -> int:
    """Recompute the lead→lag evidence of every declared link of the organisation."""
    org = Organization.objects.get(pk=org_id)
    with org_scope(org):
        return len(org_links_refresh(org=org))


@shared_task
def org_foresight_task(org_id: int) -> int:
    """The monthly recompute of one organisation: a task per KPI (each well inside the task
    time limit, spread over the workers), then the link evidence."""
    with org_scope(Organization.objects.get(pk=org_id)):
        kpi_ids = [str(pk) for pk in Kpi.objects.values_list("pk", flat=True)]
    for kpi_id in kpi_ids:
        _publish_forecast(org_id, kpi_id)
    org_links_task.apply_async((org_id,))
    return len(kpi_ids)


@shared_task
def foresight_dispatch() -> int:
    """Monthly (beat): every organisation's forecasts and link evidence."""
    org_ids = list(Organization.objects.values_list("pk", flat=True))
    for org_id in org_ids:
        org_foresight_task.apply_async((org_id,))
    return len(org_ids)


@shared_task
def forecasts_dispatch() -> int:
    """Every minute (beat): hand the settled forecast refreshes to workers, one task a KPI."""
    handed = 0
    for org_id, kpi_id in forecast_refreshes_claim():
        try:
            kpi_forecast_task.apply_async((org_id, str(kpi_id)), retry=False)
        except Exception:  # the broker is away: keep the refresh for the next dispatch
            logger.warning("Could not hand out the forecast of %s; it waits", kpi_id)
            forecast_refresh_again(org_id=org_id, kpi_id=kpi_id)
            continue
        handed += 1
    return handed
