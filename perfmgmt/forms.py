"""Form helpers shared by the apps' forms."""

from __future__ import annotations

import zoneinfo
from typing import Any

from django import forms
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import QuerySet
from django.forms.models import ModelFormMetaclass

from perfmgmt.models import ApiKeyScope, Organization
from perfmgmt.periods import Period, org_today, period_choices
from perfmgmt.selectors import display_name
from perfmgmt.services import ORG_SETTINGS_FIELDS


def apply_service_errors(form: forms.BaseForm, exc: ValidationError) -> None:
    """Show a service's ValidationError on the form, on the field it names where it can."""
    if hasattr(exc, "error_dict"):
        for name, errors in exc.error_dict.items():
            form.add_error(name if name in form.fields else None, errors)
    else:
        form.add_error(None, exc)


def limit_choices(form: forms.BaseForm, **querysets: QuerySet[Any]) -> None:
    """Offer each named model choice field only these objects (the organisation's own).

    The one way forms narrow their pickers: Form.fields is typed as plain Fields, so the type
    is checked here once rather than asserted in every form."""
    for name, queryset in querysets.items():
        field = form.fields[name]
        if not isinstance(field, forms.ModelChoiceField):  # ModelMultipleChoiceField is one too
            raise TypeError(f"{name} is not a model choice field")
        field.queryset = queryset


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: User) -> str:
        return display_name(obj)


class PeriodField(forms.ChoiceField):
    """Pick a fiscal year or quarter of the organisation; cleans to a Period."""

    def __init__(self, *, org: Organization, **kwargs: Any) -> None:
        self.periods = {
            p.key: p for p in period_choices(org_today(org), org.fiscal_year_start_month)
        }
        super().__init__(choices=[(k, p.label) for k, p in self.periods.items()], **kwargs)

    def clean(self, value: str) -> Period:
        return self.periods[super().clean(value)]


def scoped_formfield(db_field: models.Field[Any, Any], **kwargs: Any) -> forms.Field | None:
    """ModelForm fields for relations to tenant models start empty.

    Building the default queryset at class definition would query outside any organisation
    scope; each form's __init__ sets the organisation's queryset instead.
    """
    related = getattr(db_field, "related_model", None)
    if related is not None and hasattr(related.objects, "with_scopes_disabled"):
        kwargs.setdefault("queryset", related.objects.with_scopes_disabled().none())
    return db_field.formfield(**kwargs)


class _TenantModelFormMetaclass(ModelFormMetaclass):
    # Django reads formfield_callback from Meta only, and a subclass's Meta does not inherit
    # the base's: give every TenantModelForm's Meta scoped_formfield unless it names another.
    def __new__(mcs, name: str, bases: tuple, attrs: dict) -> type:
        meta = attrs.get("Meta")
        if meta is not None and not hasattr(meta, "formfield_callback"):
            meta.formfield_callback = staticmethod(scoped_formfield)
        return super().__new__(mcs, name, bases, attrs)


class TenantModelForm(forms.ModelForm, metaclass=_TenantModelFormMetaclass):
    """A ModelForm over a tenant model, built for one organisation: `Form(data, org=org)`.

    - Relation fields start empty (`scoped_formfield`); the subclass's `__init__` gives each
      the organisation's queryset, from `self.org`.
    - `validate_unique` does nothing: the instance may have no organisation yet and a check
      here would query outside the scope. The service validates the whole instance in the
      organisation's scope (`perfmgmt.validation.validate`); `apply_service_errors` puts
      what it rejects back on the form's fields.
    - `service_fields()` hands the cleaned `Meta.fields` to the service as keyword arguments.
    """

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        self.org = org
        super().__init__(*args, **kwargs)

    def validate_unique(self) -> None:
        pass

    def service_fields(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self._meta.fields or ()}


class UnitNumberInput(forms.NumberInput):
    """A number input with its unit written after it ("%", "meetings", "/ 10").

    The unit is decoration for the eye; the field's label names it for a screen reader."""

    template_name = "forms/widgets/number_unit.html"

    def __init__(self, unit: str = "", attrs: dict[str, Any] | None = None) -> None:
        super().__init__({"step": "any", **(attrs or {})})
        self.unit = unit

    def get_context(self, name: str, value: Any, attrs: dict[str, Any] | None) -> dict[str, Any]:
        context = super().get_context(name, value, attrs)
        context["widget"]["unit"] = self.unit
        return context


MONTHS = [
    (1, "January"),
    (2, "February"),
    (3, "March"),
    (4, "April"),
    (5, "May"),
    (6, "June"),
    (7, "July"),
    (8, "August"),
    (9, "September"),
    (10, "October"),
    (11, "November"),
    (12, "December"),
]


def timezone_choices() -> list[tuple[str, list[tuple[str, str]]]]:
    """The IANA time zones, grouped by region ("Europe" → "Berlin"), UTC first."""
    groups: dict[str, list[tuple[str, str]]] = {}
    for name in sorted(zoneinfo.available_timezones()):
        region, _, city = name.partition("/")
        if not city or region in {"Etc", "SystemV", "US"} or name.startswith("posix"):
            continue
        groups.setdefault(region, []).append((name, city.replace("_", " ").replace("/", " / ")))
    return [("", [("UTC", "UTC")]), *groups.items()]


class ApiKeyForm(forms.Form):
    name = forms.CharField(max_length=100, help_text="Who or what uses it, e.g. 'Data warehouse'.")
    scope = forms.ChoiceField(
        choices=ApiKeyScope.choices,
        initial=ApiKeyScope.READ,
        help_text="Read keys can only fetch; write keys can also push values.",
    )
    expires_at = forms.DateTimeField(
        label="Expires",
        required=False,
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}),
        help_text="The key stops working at this time (organisation time zone).",
    )


class OrganizationSettingsForm(forms.ModelForm):
    timezone = forms.ChoiceField(
        label="Time zone",
        choices=timezone_choices,
        help_text="Check-in days, reminders and report months follow this time zone.",
    )
    fiscal_year_start_month = forms.TypedChoiceField(
        label="Fiscal year starts in",
        choices=MONTHS,
        coerce=int,
        help_text="Quarters and years in targets and reports count from this month.",
    )
    slack_webhook_url = forms.URLField(
        label="Slack webhook URL",
        required=False,
        assume_scheme="https",
        widget=forms.PasswordInput(render_value=False),
        help_text="Slack-compatible incoming webhook for reminders. Never shown again; "
        "leave empty to keep the stored one.",
    )

    class Meta:
        model = Organization
        fields = list(ORG_SETTINGS_FIELDS)
        labels = {
            "checkin_weekday": "Check-in day",
            "checkin_hour": "Check-in reminder at",
            "require_2fa_for_admins": "Require two-factor sign-in for admins",
        }


class TotpCodeForm(forms.Form):
    token = forms.CharField(
        label="Code from your authenticator app",
        max_length=8,
        help_text="Six digits; a new one every 30 seconds.",
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )
