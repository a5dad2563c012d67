"""Form helpers shared by the apps' forms."""

from __future__ import annotations

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.utils import timezone

from perfmgmt.models import ApiKeyScope, Organization
from perfmgmt.periods import Period, period_choices
from perfmgmt.selectors import display_name


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the field it names where it can."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def org_users(org: Organization) -> QuerySet:
    return (
        get_user_model()
        .objects.filter(memberships__organization=org, is_active=True)
        .order_by("first_name", "last_name", "username")
    )


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj) -> str:  # noqa: ANN001
        return display_name(obj)


class PeriodField(forms.ChoiceField):
    """Pick a fiscal year or quarter of the organisation; cleans to a Period."""

    def __init__(self, *, org: Organization, **kwargs) -> None:  # noqa: ANN003
        self.periods = {
            p.key: p for p in period_choices(timezone.localdate(), org.fiscal_year_start_month)
        }
        super().__init__(choices=[(k, p.label) for k, p in self.periods.items()], **kwargs)

    def clean(self, value: str) -> Period:  # type: ignore[override]
        return self.periods[super().clean(value)]


def scoped_formfield(db_field: models.Field, **kwargs) -> forms.Field | None:  # noqa: ANN003
    """ModelForm fields for relations to tenant models start empty.

    Building the default queryset at class definition would query outside any organisation
    scope; each form's __init__ sets the organisation's queryset instead.
    """
    related = getattr(db_field, "related_model", None)
    if related is not None and hasattr(related.objects, "with_scopes_disabled"):
        kwargs.setdefault("queryset", related.objects.with_scopes_disabled().none())
    return db_field.formfield(**kwargs)


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who or what uses it, e.g. 'Data warehouse'.")
    scope = forms.ChoiceField(choices=ApiKeyScope.choices, initial=ApiKeyScope.READ)
    expires_at = forms.DateTimeField(
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="Optional. The key stops working at this time.",
    )


class OrganizationSettingsForm(forms.ModelForm):
    slack_webhook_url = forms.URLField(
        required=False,
        assume_scheme="https",
        widget=forms.PasswordInput(render_value=False),
        help_text="Slack-compatible incoming webhook for reminders. Never shown again; "
        "leave empty to keep the stored one.",
    )

    class Meta:
        model = Organization
        fields = ["name", "timezone", "fiscal_year_start_month", "checkin_weekday", "checkin_hour"]
