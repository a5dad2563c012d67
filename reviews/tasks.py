"""Celery tasks for reminders and packs. Ids only; each task enters the organisation's scope
itself."""

from __future__ import annotations

from functools import partial

from celery import shared_task
from celery.exceptions import SoftTimeLimitExceeded
from django.db import transaction

from perfmgmt.models import Organization
from reviews.models import PackStatus
from reviews.packs.services import pack_announce, pack_build, pack_fail, packs_auto, packs_sweep
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


@shared_task
def pack_build_task(org_id: int, pack_id: str) -> str:
    """Make one pack's files; a pack made automatically is announced once it is ready."""
    org = Organization.objects.get(pk=org_id)
    try:
        pack = pack_build(org=org, pack_id=pack_id)
    except SoftTimeLimitExceeded:
        pack_fail(org=org, pack_id=pack_id, error="The pack took too long to generate.")
        return PackStatus.FAILED
    if pack is None:
        return "not taken"
    if pack.automatic and pack.status == PackStatus.DONE and pack.presented_at is None:
        pack_announce(org=org, pack=pack)
    return pack.status


@shared_task
def packs_dispatch() -> int:
    """Every minute (beat): hand out packs the broker lost, close those whose worker died, and
    start each organisation's automatic monthly pack on its day."""
    again = packs_sweep()
    for org_id in Organization.objects.values_list("pk", flat=True):
        packs_auto(org=Organization.objects.get(pk=org_id))
    return len(again)
