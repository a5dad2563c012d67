"""Weekly check-ins on objectives (review meetings, actions and packs build on these)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django_scopes import ScopedManager

from objectives.models import Objective
from perfmgmt.models import Organization


class CheckInStatus(models.TextChoices):
    ON_TRACK = "on_track", "On track"
    AT_RISK = "at_risk", "At risk"
    OFF_TRACK = "off_track", "Off track"


class CheckIn(models.Model):
    """One objective's weekly check-in: status, progress and the owner's confidence."""

    organization = models.ForeignKey(Organization, on_delete=models.CASCADE, related_name="+")
    objective = models.ForeignKey(Objective, on_delete=models.CASCADE, related_name="checkins")
    week_start = models.DateField(help_text="Monday of the week checked in for.")
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="checkins"
    )
    status = models.CharField(max_length=10, choices=CheckInStatus.choices)
    progress = models.PositiveSmallIntegerField(help_text="Percent of the objective achieved.")
    confidence = models.PositiveSmallIntegerField(help_text="0–10: will the objective be met?")
    reason = models.TextField(blank=True, help_text="Required when confidence is low or off track.")
    blockers = models.TextField(blank=True)
    next_steps = models.TextField(blank=True)
    submitted_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = ScopedManager(organization="organization")

    class Meta:
        ordering = ["objective", "-week_start"]
        constraints = [
            models.UniqueConstraint(
                fields=["objective", "week_start"], name="one_checkin_per_objective_week"
            ),
            models.CheckConstraint(condition=models.Q(confidence__lte=10), name="confidence_0_10"),
            models.CheckConstraint(condition=models.Q(progress__lte=100), name="progress_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.objective_id} week of {self.week_start}: {self.status}"
