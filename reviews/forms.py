from __future__ import annotations

import datetime as dt

from django import forms
from django.contrib.auth import get_user_model
from django.contrib.auth.base_user import AbstractBaseUser

from metrics.models import Kpi, MetricValue
from metrics.selectors import kpi_list
from objectives.models import Objective, Perspective
from objectives.selectors import objective_list
from perfmgmt.forms import UnitNumberInput, UserChoiceField, limit_choices
from perfmgmt.models import Organization, Team
from perfmgmt.selectors import display_name, org_members, team_list
from reviews.models import (
    CHECKIN_FIELDS,
    LOW_CONFIDENCE,
    CheckIn,
    CheckInStatus,
    Likelihood,
    MeetingKind,
    Outcome,
    ReviewMeeting,
)
from reviews.selectors import monthly_meetings
from reviews.services import KpiValueIn


class CheckInForm(forms.Form):
    status = forms.ChoiceField(choices=CheckInStatus.choices, widget=forms.RadioSelect)
    progress = forms.IntegerField(
        min_value=0, max_value=100, label="Progress (%)", widget=UnitNumberInput("%")
    )
    confidence = forms.IntegerField(
        min_value=0,
        max_value=10,
        label="Confidence (0–10)",
        help_text="Will we make it? 0 is no chance, 10 is certain.",
        widget=UnitNumberInput("/ 10"),
    )
    reason = forms.CharField(
        required=False,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=f"Required when confidence is {LOW_CONFIDENCE} or less, or when off track.",
    )
    blockers = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))
    next_steps = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args,
        kpis: list[Kpi],
        values: dict | None = None,
        user: AbstractBaseUser | None = None,
        **kwargs,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kpis = kpis
        self.current = values or {}
        for kpi in kpis:
            now = self.current.get(kpi.pk)
            self.fields[f"value_{kpi.key}"] = forms.FloatField(
                required=False,
                label=f"{kpi.name} ({kpi.unit})" if kpi.unit else kpi.name,
                widget=UnitNumberInput(kpi.unit),
                initial=now.value if now else None,
                help_text=_recorded(now) if now else "No value yet for this period.",
            )
            if now is not None and now.recorded_by_id not in (None, getattr(user, "pk", None)):
                self.fields[f"replace_{kpi.key}"] = forms.BooleanField(
                    required=False,
                    label=f"Replace the number {display_name(now.recorded_by)} recorded",
                )

    @classmethod
    def initial_for(cls, checkin: CheckIn | None, previous: CheckIn | None = None) -> dict:
        """This week's answers, or last week's status, progress and confidence to start from."""
        if checkin is not None:
            return checkin.snapshot()
        if previous is not None:
            last = previous.snapshot()
            return {name: last[name] for name in ("status", "progress", "confidence")}
        return {"status": CheckInStatus.ON_TRACK}

    def service_kwargs(self) -> dict:
        """The cleaned check-in as services.checkin_submit takes it: its fields, and the KPI
        values given (a value left empty is not sent)."""
        data = self.cleaned_data
        values = []
        for kpi in self.kpis:
            value, now = data.get(f"value_{kpi.key}"), self.current.get(kpi.pk)
            if value is None or (now is not None and now.value == value):
                continue  # left empty, or the number already stored: nothing to write
            confirmed = bool(data.get(f"replace_{kpi.key}"))
            values.append(KpiValueIn(kpi=kpi, value=value, replace_others=confirmed))
        return {**{name: data[name] for name in CHECKIN_FIELDS}, "values": values}

    def value_fields(self) -> list[forms.BoundField]:
        fields = []
        for kpi in self.kpis:
            fields.append(self[f"value_{kpi.key}"])
            if f"replace_{kpi.key}" in self.fields:
                fields.append(self[f"replace_{kpi.key}"])
        return fields

    def plain_fields(self) -> list[forms.BoundField]:
        return [self[name] for name in self.fields if not name.startswith(("value_", "replace_"))]


def _recorded(value: MetricValue) -> str:
    who = f" by {display_name(value.recorded_by)}" if value.recorded_by else ""
    return (
        f"Now {value.value:g} ({value.get_confidence_display().lower()}), "
        f"recorded{who} on {value.updated_at:%-d %b %Y}."
    )


class MeetingForm(forms.Form):
    kind = forms.ChoiceField(choices=MeetingKind.choices)
    team = forms.ModelChoiceField(
        queryset=Team.objects.none(), required=False, help_text="Required for a weekly review."
    )
    held_on = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def __init__(self, *args, org: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, team=team_list(org=org))


class DecisionForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Decision")


class NotesForm(forms.Form):
    notes = forms.CharField(required=False, widget=forms.Textarea(attrs={"rows": 5}))


class ActionForm(forms.Form):
    title = forms.CharField(max_length=300, label="Action")
    owner = UserChoiceField(queryset=get_user_model().objects.none())
    due_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    kpi = forms.ModelChoiceField(queryset=Kpi.objects.none(), required=False, label="KPI")
    objective = forms.ModelChoiceField(queryset=Objective.objects.none(), required=False)

    def __init__(self, *args, org: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(
            self, owner=org_members(org), kpi=kpi_list(org=org), objective=objective_list(org=org)
        )


class RiskForm(forms.Form):
    description = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}), label="What could make this fail?"
    )
    likelihood = forms.ChoiceField(choices=Likelihood.choices)
    early_sign = forms.CharField(required=False, label="Early sign to watch")


class RiskReviewForm(forms.Form):
    outcome = forms.ChoiceField(choices=Outcome.choices, label="Did it happen?")
    learned = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="What we learned")


def _month_label(month: dt.date) -> str:
    return f"{month:%B %Y}"


class PackForm(forms.Form):
    month = forms.TypedChoiceField(
        coerce=dt.date.fromisoformat,
        help_text="The month the pack reports on.",
    )
    teams = forms.MultipleChoiceField(
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for the whole organisation.",
    )
    perspectives = forms.MultipleChoiceField(
        required=False,
        choices=Perspective.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Leave all unticked for every perspective.",
    )

    def __init__(self, *args, org: Organization, months: list[dt.date], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        month = self.fields["month"]
        assert isinstance(month, forms.ChoiceField)
        month.choices = [(m.isoformat(), _month_label(m)) for m in months]
        teams = self.fields["teams"]
        assert isinstance(teams, forms.MultipleChoiceField)
        teams.choices = list(team_list(org=org).values_list("slug", "name"))


class PresentForm(forms.Form):
    meeting = forms.ModelChoiceField(
        queryset=ReviewMeeting.objects.none(),
        required=False,
        label="Presented at",
        empty_label="No meeting recorded",
        help_text="The monthly business review the pack was presented at.",
    )

    def __init__(self, *args, org: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_choices(self, meeting=monthly_meetings(org=org))


class CommentaryForm(forms.Form):
    analysis = forms.CharField(
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why the number is where it is.",
    )
    next_step = forms.CharField(
        max_length=2000,
        label="Next step",
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text="What you will do about it, and by when.",
    )
