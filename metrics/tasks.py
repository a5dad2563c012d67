"""Celery tasks for scheduled pulls. Ids only, org first; each task enters the scope itself."""

from __future__ import annotations

import datetime as dt

from celery import shared_task
from django.db import transaction

from metrics.sources import TransientSourceError, source_pull, sources_claim_due
from perfmgmt.models import Organization


@shared_task
def sources_dispatch() -> int:
    """Every minute (beat): claim the due pulls and hand each to a worker."""
    claimed = sources_claim_due()
    for org_id, source_id, slot in claimed:
        transaction.on_commit(lambda o=org_id, s=source_id, t=slot: source_pull_task.delay(o, s, t))
    return len(claimed)


@shared_task(
    bind=True,
    autoretry_for=(TransientSourceError,),
    retry_backoff=5,
    retry_backoff_max=60,
    max_retries=3,
)
def source_pull_task(self, org_id: int, source_id: str, slot: str) -> str:  # noqa: ANN001
    org = Organization.objects.get(pk=org_id)
    run = source_pull(
        org=org,
        source_id=source_id,
        slot=dt.datetime.fromisoformat(slot),
        attempt=self.request.retries + 1,
    )
    return run.status
