"""Celery tasks for scheduled pulls. Ids only, org first; each task enters the scope itself.

Nothing here decides what is due or whether a pull is retried: the services record every
attempt as an `IngestionRun` first, and these tasks only hand run ids to the broker.
"""

from __future__ import annotations

import logging

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from metrics.models import IngestionRun, RunStatus
from metrics.sources import (
    retry_delay,
    runs_sweep,
    source_pull,
    source_pull_timed_out,
    sources_claim_due,
)
from perfmgmt.models import Organization

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
