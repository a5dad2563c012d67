"""Celery tasks of the people layer: ids only, org first."""

from __future__ import annotations

from celery import shared_task

from perfmgmt import outbound
from perfmgmt.models import Organization
from reviews.people.services import people_retention_apply, recognition_post


@shared_task(
    autoretry_for=(outbound.OutboundUnreachable,),
    retry_backoff=True,
    max_retries=3,
    acks_late=True,
)
def recognition_post_task(org_id: int, recognition_id: str) -> bool:
    """Post public praise to the organisation's chat webhook."""
    return recognition_post(org=Organization.objects.get(pk=org_id), recognition_id=recognition_id)


@shared_task
def people_retention_dispatch() -> int:
    """Daily (beat): apply each organisation's retention periods."""
    return sum(people_retention_apply(org=org) for org in Organization.objects.all())
