from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.db.models import QuerySet

from metrics.models import Kpi
from objectives.models import Objective
from perfmgmt.forms import UserChoiceField, limit_choices
from perfmgmt.models import Membership, Role, Team
from perfmgmt.selectors import display_name
from perfmgmt.validation import ensure_date_in_window
from reviews.people.models import AssessmentKind, CompanyValue, Competency, PlanState, Visibility
from reviews.people.services import TRANSITIONS, ExpectationInput


def _in_window(value: dt.date | None) -> dt.date | None:
    if value is not None:
        try:
            ensure_date_in_window(value)
        except ValueError as exc:
            raise forms.ValidationError(f"The date {exc}.") from exc
    return value


class MemberChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Membership) -> str:
        team = f" ({obj.team.name})" if obj.team else ""
        return f"{display_name(obj.user)}{team}"


class KpiChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Kpi) -> str:
        return f"{obj.name} — {display_name(obj.outcome_owner)}"


class ScheduleForm(forms.Form):
    report = MemberChoiceField(queryset=Membership.objects.none(), label="With")
    scheduled_for = forms.DateField(label="Date", widget=forms.DateInput(attrs={"type": "date"}))
    cadence_days = forms.TypedChoiceField(
        label="Cadence",
        coerce=int,
        choices=[(7, "Weekly"), (14, "Every two weeks"), (28, "Every four weeks")],
    )

    def __init__(self, *args: Any, members: list[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(
            self,
            report=Membership.objects.filter(pk__in=[m.pk for m in members]).select_related(
                "user", "team"
            ),
        )

    def clean_scheduled_for(self) -> dt.date | None:
        return _in_window(self.cleaned_data.get("scheduled_for"))


class TalkingPointForm(forms.Form):
    text = forms.CharField(label="Talking point", max_length=500)
    suggestion = forms.CharField(required=False, max_length=40, widget=forms.HiddenInput)


class TickForm(forms.Form):
    point = forms.IntegerField(min_value=1, widget=forms.HiddenInput)
    done = forms.BooleanField(required=False)


class PrivateNoteForm(forms.Form):
    text = forms.CharField(
        label="My private notes",
        required=False,
        max_length=20_000,
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="Only you will ever see these.",
    )


class OneOnOneActionForm(forms.Form):
    title = forms.CharField(label="Action", max_length=300)
    owner = UserChoiceField(queryset=User.objects.none(), label="Owner")
    due_date = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, people: list[User], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, owner=User.objects.filter(pk__in=[p.pk for p in people]))

    def clean_due_date(self) -> dt.date | None:
        return _in_window(self.cleaned_data.get("due_date"))


class RecognitionForm(forms.Form):
    recipient = UserChoiceField(
        queryset=User.objects.none(), required=False, label="Who to recognise"
    )
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, label="Or a whole team"
    )
    message = forms.CharField(
        label="What they did", max_length=2000, widget=forms.Textarea(attrs={"rows": 3})
    )
    objective = forms.ModelChoiceField(queryset=Objective.objects.none(), required=False)
    kpi = KpiChoiceField(queryset=Kpi.objects.none(), required=False, label="KPI")
    values = forms.ModelMultipleChoiceField(
        queryset=CompanyValue.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        label="Our values it shows",
    )
    visibility = forms.ChoiceField(
        choices=Visibility.choices,
        initial=Visibility.PUBLIC,
        widget=forms.RadioSelect,
        label="Who sees it",
    )
    post_to_webhook = forms.BooleanField(
        required=False, label="Also post it to the organisation's chat channel (public praise only)"
    )

    def __init__(
        self,
        *args: Any,
        people: QuerySet[User],
        teams: QuerySet[Team],
        objectives: QuerySet[Objective],
        kpis: QuerySet[Kpi],
        values: QuerySet[CompanyValue],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(
            self, recipient=people, team=teams, objective=objectives, kpi=kpis, values=values
        )
        if not values.exists():
            del self.fields["values"]


class PlanForm(forms.Form):
    person = MemberChoiceField(queryset=Membership.objects.none(), label="Person")
    concerns = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), help_text="What is not going well, with examples."
    )
    support = forms.CharField(
        label="Support and coaching",
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="What you and the organisation will do to help.",
    )
    consequences = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    duration_days = forms.TypedChoiceField(
        label="Duration", coerce=int, choices=[(30, "30 days"), (60, "60 days"), (90, "90 days")]
    )
    EXPECTATIONS = 3

    def __init__(
        self,
        *args: Any,
        people: list[Membership] | None = None,
        kpis: QuerySet[Kpi],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if people is None:
            del self.fields["person"]
        else:
            limit_choices(
                self,
                person=Membership.objects.filter(pk__in=[m.pk for m in people]).select_related(
                    "user", "team"
                ),
            )
        for i in range(1, self.EXPECTATIONS + 1):
            self.fields[f"kpi_{i}"] = KpiChoiceField(
                queryset=kpis, required=i == 1, label=f"Expectation {i}: KPI"
            )
            self.fields[f"target_{i}"] = forms.FloatField(
                required=False, label=f"Expectation {i}: target by the end date"
            )

    def clean_start_date(self) -> dt.date | None:
        return _in_window(self.cleaned_data.get("start_date"))

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        for i in range(1, self.EXPECTATIONS + 1):
            if data.get(f"kpi_{i}") is not None and data.get(f"target_{i}") is None:
                self.add_error(f"target_{i}", "Set the target the KPI must reach.")
        return data

    def expectations(self) -> list[ExpectationInput]:
        data = self.cleaned_data
        return [
            ExpectationInput(kpi=data[f"kpi_{i}"], target=data[f"target_{i}"])
            for i in range(1, self.EXPECTATIONS + 1)
            if data.get(f"kpi_{i}") is not None
        ]

    def plan_fields(self) -> dict[str, Any]:
        names = ("concerns", "support", "consequences", "start_date", "duration_days")
        return {name: self.cleaned_data[name] for name in names}


class PlanMoveForm(forms.Form):
    to = forms.ChoiceField(
        choices=[(s.value, s.label) for s in PlanState if any(s in t for t in TRANSITIONS.values())]
    )


class MilestoneReviewForm(forms.Form):
    due_on = forms.DateField(widget=forms.HiddenInput)
    note = forms.CharField(label="What the review found", max_length=4000)


class PartnerForm(forms.Form):
    member = MemberChoiceField(queryset=Membership.objects.none(), label="Member")
    grant = forms.BooleanField(required=False)

    def __init__(self, *args: Any, members: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, member=members)


class PeopleSettingsForm(forms.Form):
    person_leaderboard = forms.BooleanField(
        required=False,
        label="Show a person-level leaderboard",
        help_text="Off: the leaderboard ranks teams only.",
    )
    min_group_size = forms.IntegerField(
        min_value=2,
        max_value=50,
        label="Smallest group whose aggregates are shown",
        help_text="Calibration hides averages and distributions of smaller groups.",
    )
    keep_one_on_ones_days = forms.IntegerField(
        min_value=30, max_value=36500, label="Keep the 1:1s of people who have left for (days)"
    )
    keep_recognition_days = forms.IntegerField(
        min_value=30, max_value=36500, label="Keep their recognition for (days)"
    )
    keep_plans_days = forms.IntegerField(
        min_value=30,
        max_value=36500,
        label="Keep their improvement plans for (days, after the end)",
    )
    keep_assessments_days = forms.IntegerField(
        min_value=30,
        max_value=36500,
        label="Keep their assessments and development goals for (days)",
    )


class CompanyValueForm(forms.Form):
    name = forms.CharField(label="Value", max_length=80)


# --- competencies


class CompetencyForm(forms.Form):
    name = forms.CharField(max_length=120)
    description = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    levels = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}),
        help_text="What each level looks like, one a line, from level 1 upwards.",
    )

    def clean_levels(self) -> list[str]:
        return [line for line in self.cleaned_data["levels"].splitlines() if line.strip()]


class ExpectedLevelForm(forms.Form):
    competency = forms.ModelChoiceField(queryset=Competency.objects.none())
    role = forms.ChoiceField(choices=[("", "—"), *Role.choices], required=False)
    team = forms.ModelChoiceField(queryset=Team.objects.none(), required=False)
    level = forms.IntegerField(min_value=1, max_value=20)

    def __init__(
        self, *args: Any, competencies: QuerySet[Competency], teams: QuerySet[Team], **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, competency=competencies, team=teams)


class AssessmentStartForm(forms.Form):
    person = MemberChoiceField(queryset=Membership.objects.none())
    kind = forms.ChoiceField(choices=AssessmentKind.choices)

    def __init__(self, *args: Any, members: QuerySet[Membership], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, person=members)


class RatingsForm(forms.Form):
    """One level (and a comment) per competency of the framework."""

    def __init__(
        self, *args: Any, competencies: list[Competency], initial_levels: dict, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.competencies = competencies
        for c in competencies:
            choices = [("", "—")] + [(i, f"{i}: {text}") for i, text in enumerate(c.levels, 1)]
            self.fields[f"level_{c.pk}"] = forms.TypedChoiceField(
                label=c.name,
                choices=choices,
                coerce=int,
                required=False,
                empty_value=None,
                initial=initial_levels.get(c.pk),
                help_text=c.description,
            )
            self.fields[f"comment_{c.pk}"] = forms.CharField(
                label=f"{c.name}: why", required=False, max_length=2000
            )

    def ratings(self) -> dict[Competency, tuple[int, str]]:
        data = self.cleaned_data
        return {
            c: (data[f"level_{c.pk}"], data.get(f"comment_{c.pk}", ""))
            for c in self.competencies
            if data.get(f"level_{c.pk}") is not None
        }


class DevelopmentGoalForm(forms.Form):
    title = forms.CharField(label="Development goal", max_length=300)
    competency = forms.ModelChoiceField(queryset=Competency.objects.none(), required=False)
    due_on = forms.DateField(label="Due", widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args: Any, competencies: QuerySet[Competency], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, competency=competencies)

    def clean_due_on(self) -> dt.date | None:
        return _in_window(self.cleaned_data.get("due_on"))
