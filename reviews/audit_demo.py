"""Demo data for the audit trail's saved views: `seed_audit_demo(org)` moves a running target
and revises a value after the review that saw it, each as a person of the organisation, so the
audit log's "targets moved" and "values revised" views have something to show."""

from __future__ import annotations

from metrics.models import MetricValue, Target
from perfmgmt.actor import audit_context
from perfmgmt.models import Membership, Organization, Role
from perfmgmt.periods import org_today
from perfmgmt.tenancy import org_scope
from reviews.models import MeetingKind, ReviewMeeting


def seed_audit_demo(org: Organization) -> None:
    today = org_today(org)
    with org_scope(org):
        finance = (
            Membership.objects.filter(role__in=[Role.FINANCE, Role.ADMIN]).order_by("role").first()
        )
        if finance is None:
            return
        with audit_context(user=finance.user_id):
            target = Target.objects.filter(period_start__lte=today, period_end__gte=today).first()
            if target is not None:
                Target.objects.filter(pk=target.pk).update(value=target.value * 0.9)
            review = (
                ReviewMeeting.objects.filter(kind=MeetingKind.MONTHLY, held_on__lte=today)
                .order_by("-held_on")
                .first()
            )
            if review is not None:
                value = (
                    MetricValue.objects.filter(period_date__lte=review.held_on)
                    .order_by("-period_date")
                    .first()
                )
                if value is not None:
                    MetricValue.objects.filter(pk=value.pk).update(value=value.value * 1.02)
