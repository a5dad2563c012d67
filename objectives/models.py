"""The top of the cascade: strategic priorities and the objectives aligned to them."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from perfmgmt.models import Organization, Team, TenantModel, audited

MAX_ACTIVE_PRIORITIES = 5


class Perspective(models.TextChoices):
    """The four Balanced-Scorecard perspectives, in strategy-map order (top to bottom)."""

    FINANCIAL = "financial", "Financial"
    CUSTOMER = "customer", "Customer"
    INTERNAL = "internal", "Internal process"
    LEARNING = "learning", "Learning & growth"


@audited()
class StrategicPriority(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="priorities"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    perspective = models.CharField(max_length=16, choices=Perspective.choices)
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_priorities"
    )
    rank = models.PositiveSmallIntegerField(default=1)
    horizon_start = models.DateField()
    horizon_end = models.DateField()
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["rank", "title"]
        verbose_name_plural = "strategic priorities"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(horizon_end__gte=models.F("horizon_start")),
                name="priority_horizon_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title


class PeriodKind(models.TextChoices):
    QUARTER = "quarter", "Quarter"
    YEAR = "year", "Year"


@audited()
class Objective(TenantModel):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    organization = models.ForeignKey(
        Organization, on_delete=models.CASCADE, related_name="objectives"
    )
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    # RESTRICT, not PROTECT: a team or priority with objectives cannot be deleted on its own,
    # but deleting the whole organisation still cascades through them.
    team = models.ForeignKey(Team, on_delete=models.RESTRICT, related_name="objectives")
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="owned_objectives"
    )
    priority = models.ForeignKey(
        StrategicPriority, on_delete=models.RESTRICT, related_name="objectives"
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.RESTRICT, related_name="children"
    )
    period_kind = models.CharField(max_length=8, choices=PeriodKind.choices)
    period_start = models.DateField()
    period_end = models.DateField()
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["period_start", "title"]
        indexes = [models.Index(fields=["organization", "priority"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(period_end__gte=models.F("period_start")),
                name="objective_period_ordered",
            )
        ]

    def __str__(self) -> str:
        return self.title
