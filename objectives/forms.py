from __future__ import annotations

from typing import Any

from django import forms
from django.contrib.auth import get_user_model

from objectives.models import Objective, StrategicPriority
from objectives.services import PRIORITY_FIELDS
from perfmgmt.forms import PeriodField, TenantModelForm, UserChoiceField, limit_choices
from perfmgmt.models import Organization, Team
from perfmgmt.selectors import org_members, team_list


class PriorityForm(TenantModelForm):
    class Meta:
        model = StrategicPriority
        fields = list(PRIORITY_FIELDS)
        widgets = {
            "horizon_start": forms.DateInput(attrs={"type": "date"}),
            "horizon_end": forms.DateInput(attrs={"type": "date"}),
            "description": forms.Textarea(attrs={"rows": 3}),
            "rank": forms.NumberInput(attrs={"min": 1, "class": "short"}),
        }
        field_classes = {"owner": UserChoiceField}
        labels = {
            "perspective": "Balanced-Scorecard perspective",
            "rank": "Order",
            "horizon_start": "From",
            "horizon_end": "Until",
            "is_active": "Active",
        }
        help_texts = {"rank": "1 comes first on the scorecard and map."}

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, org=org, **kwargs)
        limit_choices(self, owner=org_members(org))


class ObjectiveForm(forms.Form):
    title = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    priority = forms.ModelChoiceField(
        queryset=StrategicPriority.objects.none(),
        required=False,
        label="Strategic priority",
        help_text="The priority this objective serves; a child objective inherits its parent's.",
    )
    parent = forms.ModelChoiceField(
        queryset=Objective.objects.none(), required=False, label="Parent objective"
    )
    team = forms.ModelChoiceField(queryset=Team.objects.none())
    owner = UserChoiceField(queryset=get_user_model().objects.none())

    def __init__(self, *args, org: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["period"] = PeriodField(org=org)
        limit_choices(
            self,
            priority=StrategicPriority.objects.all(),
            parent=Objective.objects.all(),
            team=team_list(org=org),
            owner=org_members(org),
        )

    @classmethod
    def initial_for(cls, objective: Objective) -> dict:
        return {
            "title": objective.title,
            "description": objective.description,
            "priority": objective.priority_id,
            "parent": objective.parent_id,
            "team": objective.team_id,
            "owner": objective.owner_id,
            "period": f"{objective.period_kind}:{objective.period_start.isoformat()}",
        }
