"""Celery tasks for reminders. Ids only; each task enters the organisation's scope itself."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from django.db import transaction

from perfmgmt.models import Organization
from reviews.reminders import reminders_send


@shared_task
def reminders_dispatch() -> int:
    """Every few minutes (beat): one task per organisation."""
    org_ids = list(Organization.objects.values_list("pk", flat=True))
    for org_id in org_ids:
        transaction.on_commit(partial(reminders_for_org.delay, org_id))
    return len(org_ids)


@shared_task
def reminders_for_org(org_id: int) -> int:
    return reminders_send(org=Organization.objects.get(pk=org_id))
