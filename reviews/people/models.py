"""The people layer's records. Who may read each one is decided in `rules.py`, nowhere else."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models

from metrics.models import Kpi
from objectives.models import Objective
from perfmgmt.models import Membership, Team, TenantModel
from reviews.models import ActionItem, CheckIn


class PeoplePartner(TenantModel):
    """The *people partner* grant: sees and approves improvement plans. Granted per
    membership; being an admin does not imply it."""

    membership = models.ForeignKey(
        Membership, on_delete=models.CASCADE, related_name="people_partner_grants"
    )
    granted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    granted_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        # One grant per membership; the organisation leads every unique key (test_constraints).
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "membership"], name="people_partner_once"
            )
        ]

    def __str__(self) -> str:
        return f"people partner: {self.membership_id}"


class PeopleSettings(TenantModel):
    """One row per organisation; absent means the defaults."""

    person_leaderboard = models.BooleanField(
        "Show a person-level leaderboard",
        default=False,
        help_text="Off: the leaderboard ranks teams only.",
    )
    min_group_size = models.PositiveSmallIntegerField(default=5)
    # How long the records of someone who has left are kept before their words are removed
    # (the rows stay, so counts and dates still add up; see services.people_retention_apply).
    keep_one_on_ones_days = models.PositiveIntegerField("Keep 1:1s for (days)", default=730)
    keep_recognition_days = models.PositiveIntegerField("Keep recognition for (days)", default=1095)
    keep_plans_days = models.PositiveIntegerField("Keep improvement plans for (days)", default=2190)
    keep_assessments_days = models.PositiveIntegerField("Keep assessments for (days)", default=1095)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["organization"], name="people_settings_once_per_org")
        ]

    def __str__(self) -> str:
        return f"people settings of {self.organization_id}"


class OneOnOne(TenantModel):
    """One meeting of a lead with a member of their team; the next is planned on the cadence."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    report = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    scheduled_for = models.DateField()
    cadence_days = models.PositiveSmallIntegerField(
        default=7, choices=[(7, "Weekly"), (14, "Every two weeks"), (28, "Every four weeks")]
    )
    held_at = models.DateTimeField(null=True, blank=True)
    previous = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="following"
    )
    actions = models.ManyToManyField(ActionItem, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-scheduled_for", "-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(lead=models.F("report")), name="one_on_one_two_people"
            ),
            # Each 1:1 is followed by at most one next one (holding it plans one, once).
            models.UniqueConstraint(
                fields=["organization", "previous"], name="one_on_one_followed_once"
            ),
        ]

    def __str__(self) -> str:
        return f"1:1 {self.lead_id}–{self.report_id} on {self.scheduled_for}"


class TalkingPoint(TenantModel):
    """A point on a 1:1's shared agenda, added by either side; unticked ones carry over."""

    one_on_one = models.ForeignKey(OneOnOne, on_delete=models.CASCADE, related_name="points")
    text = models.CharField(max_length=500)
    added_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    suggestion = models.CharField(
        max_length=40, blank=True, help_text="The data rule that suggested it, if any."
    )
    done = models.BooleanField(default=False)
    carried_over = models.BooleanField(default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done", "created_at"]

    def __str__(self) -> str:
        return self.text[:60]


class PrivateNote(TenantModel):
    """One side's own notes on a 1:1: read by its writer only."""

    one_on_one = models.ForeignKey(OneOnOne, on_delete=models.CASCADE, related_name="+")
    author = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    text = models.TextField(blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "one_on_one", "author"], name="one_private_note_per_side"
            )
        ]

    def __str__(self) -> str:
        return f"note of {self.author_id} on {self.one_on_one_id}"


class CompanyValue(TenantModel):
    """One of the organisation's values, that praise is tagged with."""

    name = models.CharField(max_length=80)

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="company_value_once")
        ]

    def __str__(self) -> str:
        return self.name


class Visibility(models.TextChoices):
    PUBLIC = "public", "Everyone in the organisation"
    MANAGER = "manager", "The person and their lead"
    PRIVATE = "private", "Only the person"


REMOVED = "[removed after the retention period]"


class Recognition(TenantModel):
    """Praise from anyone to a person or a team, for an objective, a KPI or a check-in."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    giver = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    message = models.TextField()
    visibility = models.CharField(
        max_length=8, choices=Visibility.choices, default=Visibility.PUBLIC
    )
    objective = models.ForeignKey(
        Objective, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kpi = models.ForeignKey(Kpi, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    checkin = models.ForeignKey(
        CheckIn, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    values = models.ManyToManyField(CompanyValue, blank=True, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the post to the organisation's webhook is claimed, so a retried task posts once.
    posted_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(recipient__isnull=False) ^ models.Q(team__isnull=False),
                name="recognition_for_a_person_or_a_team",
            )
        ]

    def __str__(self) -> str:
        return self.message[:60]


class PlanState(models.TextChoices):
    DRAFT = "draft", "Draft"
    PUBLISHED = "published", "Published, awaiting signature"
    ACKNOWLEDGED = "acknowledged", "Acknowledged"
    PAUSED = "paused", "Paused"
    EXTENDED = "extended", "Extended"
    COMPLETED = "completed", "Completed"
    NOT_COMPLETED = "not_completed", "Not completed"


class ImprovementPlan(TenantModel):
    """A performance improvement plan: drafted by the person's lead, approved by a people
    partner, signed by the person (again after every change)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    lead = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    state = models.CharField(max_length=14, choices=PlanState.choices, default=PlanState.DRAFT)
    concerns = models.TextField(help_text="What is not going well, with examples.")
    support = models.TextField(help_text="The support and coaching the person will get.")
    consequences = models.TextField(help_text="What happens if the expectations are not met.")
    start_date = models.DateField()
    duration_days = models.PositiveSmallIntegerField(
        choices=[(30, "30 days"), (60, "60 days"), (90, "90 days")], default=60
    )
    end_date = models.DateField()
    version = models.PositiveIntegerField(default=1)
    approved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    approved_at = models.DateTimeField(null=True, blank=True)
    acknowledged_version = models.PositiveIntegerField(null=True, blank=True)
    acknowledged_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.CheckConstraint(
                condition=~models.Q(person=models.F("lead")), name="plan_not_for_its_lead"
            ),
            models.CheckConstraint(
                condition=models.Q(end_date__gte=models.F("start_date")), name="plan_ends_after"
            ),
        ]

    def __str__(self) -> str:
        return f"improvement plan for {self.person_id} ({self.state})"

    @property
    def needs_signature(self) -> bool:
        signable = (PlanState.PUBLISHED, PlanState.EXTENDED)
        return self.state in signable and self.acknowledged_version != self.version


class PlanExpectation(TenantModel):
    """An expectation as a live KPI the person owns: where it stood, where it must be by the
    plan's end, and how sure the baseline number was."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="expectations")
    # RESTRICT: a KPI with a plan on it is not deleted alone, but goes with its organisation.
    kpi = models.ForeignKey(Kpi, on_delete=models.RESTRICT, related_name="+")
    baseline = models.FloatField(null=True, blank=True)
    baseline_confidence = models.CharField(max_length=12, blank=True)
    target = models.FloatField()

    class Meta:
        ordering = ["pk"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "plan", "kpi"], name="one_expectation_per_plan_kpi"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kpi_id} to {self.target}"


class PlanMilestone(TenantModel):
    """A review point every 30 days of the plan, and at its end."""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="milestones")
    due_on = models.DateField()
    reviewed_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(blank=True)

    class Meta:
        ordering = ["due_on"]

    def __str__(self) -> str:
        return f"milestone {self.due_on}"


class PlanRevision(TenantModel):
    """What a plan said before each change (state, text, dates, expectations), and who changed
    it: the plan's own record, which the person signs against. (The organisation's audit trail,
    pghistory, keeps the performance records; the people layer keeps its history here, behind
    its own wall.)"""

    plan = models.ForeignKey(ImprovementPlan, on_delete=models.CASCADE, related_name="revisions")
    change = models.CharField(max_length=80)
    changed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    changed_at = models.DateTimeField(auto_now_add=True)
    before = models.JSONField()

    class Meta:
        ordering = ["-changed_at"]

    def __str__(self) -> str:
        return f"{self.change} at {self.changed_at:%Y-%m-%d %H:%M}"


# --- competencies

# A framework larger than this is hard to assess honestly; the page warns above it.
FRAMEWORK_WARNING = 15


class Competency(TenantModel):
    """One competency of the organisation's framework, with what each level looks like."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    levels = models.JSONField(
        default=list, help_text="What each level looks like, from level 1 upwards."
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["organization", "name"], name="competency_name_once")
        ]

    def __str__(self) -> str:
        return self.name


class ExpectedLevel(TenantModel):
    """The level a role (or, more precisely, a team) is expected to hold in a competency."""

    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="expected")
    role = models.CharField(max_length=16, blank=True)
    team = models.ForeignKey(
        Team, null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    level = models.PositiveSmallIntegerField()

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "competency", "role", "team"],
                name="one_expected_level",
                nulls_distinct=False,
            )
        ]

    def __str__(self) -> str:
        return f"{self.competency_id} at {self.level}"


class AssessmentKind(models.TextChoices):
    SELF = "self", "Self-assessment"
    LEAD = "lead", "Lead's assessment"


class Assessment(TenantModel):
    """One side's assessment of a person in one cycle (a fiscal quarter)."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    assessor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    kind = models.CharField(max_length=4, choices=AssessmentKind.choices)
    cycle = models.CharField(max_length=20, help_text="The fiscal quarter, e.g. 2026 Q4.")
    submitted_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "person", "kind", "cycle"], name="one_assessment_per_side"
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} assessment of {self.person_id}, {self.cycle}"


class Rating(TenantModel):
    assessment = models.ForeignKey(Assessment, on_delete=models.CASCADE, related_name="ratings")
    competency = models.ForeignKey(Competency, on_delete=models.CASCADE, related_name="+")
    level = models.PositiveSmallIntegerField()
    comment = models.TextField(blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["organization", "assessment", "competency"], name="one_rating_each"
            )
        ]

    def __str__(self) -> str:
        return f"{self.competency_id}: {self.level}"


class DevelopmentGoal(TenantModel):
    """A goal to grow a competency, due on a date, reviewed in the 1:1s."""

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    person = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")
    competency = models.ForeignKey(
        Competency, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    title = models.CharField(max_length=300)
    due_on = models.DateField()
    done = models.BooleanField(default=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["done", "due_on"]

    def __str__(self) -> str:
        return self.title
