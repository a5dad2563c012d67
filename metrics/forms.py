from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from metrics.formats import fmt_value
from metrics.ingestion import OPTIONAL_FIELDS
from metrics.models import Confidence, DataSource, Kpi, KpiKind
from metrics.plausibility import plausible_range
from metrics.selectors import Reading
from metrics.services import KPI_FIELDS
from metrics.sources import SOURCE_FIELDS
from objectives.models import Objective
from perfmgmt.forms import (
    PeriodField,
    TenantModelForm,
    UnitNumberInput,
    UserChoiceField,
    limit_choices,
)
from perfmgmt.models import Organization
from perfmgmt.selectors import org_members


class KpiForm(TenantModelForm):
    drives = forms.ModelMultipleChoiceField(
        queryset=Kpi.objects.none(),
        required=False,
        help_text="For a lead KPI: the lag KPIs it is meant to predict.",
    )

    class Meta:
        model = Kpi
        fields = list(KPI_FIELDS)
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}
        field_classes = {"outcome_owner": UserChoiceField, "data_owner": UserChoiceField}
        labels = {
            "key": "Key for REST clients",
            "unit": "Unit",
            "direction": "Better when",
            "kind": "Lead or lag",
            "aggregation": "Values in a period combine by",
            "objective": "Objective it measures",
            "is_key": "Key KPI",
        }
        help_texts = {
            "unit": "Shown after every number: %, €, days, tickets…",
            "outcome_owner": "Answers for the result.",
            "data_owner": "Answers for the number being recorded and right.",
        }

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, org=org, **kwargs)
        lags = Kpi.objects.filter(kind=KpiKind.LAG)
        if self.instance.pk:
            lags = lags.exclude(pk=self.instance.pk)
            self.initial["drives"] = list(self.instance.drives.values_list("pk", flat=True))
        limit_choices(
            self,
            objective=Objective.objects.all(),
            outcome_owner=org_members(org),
            data_owner=org_members(org),
            drives=lags,
        )


class TargetForm(forms.Form):
    value = forms.FloatField(label="Target", widget=UnitNumberInput())
    green_threshold = forms.FloatField(
        label="On target from",
        required=False,
        widget=UnitNumberInput(),
        help_text="At or better than this is on target (default: the target).",
    )
    amber_threshold = forms.FloatField(
        label="At risk from",
        required=False,
        widget=UnitNumberInput(),
        help_text="At or better than this is at risk, worse is off target "
        "(default: 10% off the target).",
    )

    def __init__(self, *args, org: Organization, unit: str = "", **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"period": PeriodField(org=org), **self.fields}
        for name in ("value", "green_threshold", "amber_threshold"):
            widget = self.fields[name].widget
            if isinstance(widget, UnitNumberInput):
                widget.unit = unit


class ValueForm(forms.Form):
    """A value of one KPI by hand: VALUE_FIELDS but the KPI (the page's) and when it was
    measured (now); the names are the ingestion's, handed to metric_value_record as they are.

    Built for one KPI: its unit on the value, its last value beside it, the period to fill
    first as the default, and a value far outside its history held back until `confirm`."""

    period_date = forms.DateField(
        label="Period",
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Any day in the period; the value is filed under the period's first day.",
    )
    value = forms.FloatField(widget=UnitNumberInput())
    confidence = forms.ChoiceField(
        choices=Confidence.choices,
        initial=Confidence.PRELIMINARY,
        help_text="How sure the number is: final, preliminary or an estimate.",
    )
    note = forms.CharField(max_length=500, required=False)
    # The fields handed to metric_value_record, by the ingestion's names.
    VALUE_NAMES = ("period_date", "value", "confidence", "note")

    confirm = forms.BooleanField(
        required=False, label="Yes, this number is right", widget=forms.HiddenInput
    )

    def __init__(
        self,
        *args: Any,
        kpi: Kpi,
        history: Sequence[Reading] = (),
        default_period: dt.date | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.kpi = kpi
        self.range = plausible_range([r.value for r in history])
        self.fields["value"].label = f"Value ({kpi.unit})" if kpi.unit else "Value"
        value_widget = self.fields["value"].widget
        if isinstance(value_widget, UnitNumberInput):
            value_widget.unit = kpi.unit
        if history:
            last = history[0]
            self.fields["value"].help_text = (
                f"Last value: {fmt_value(last.value, kpi.unit)} ({last.confidence_label.lower()}) "
                f"for the period starting {last.period_date.day} {last.period_date:%b %Y}."
            )
        if default_period is not None:
            self.fields["period_date"].initial = default_period
        if self.data.get(self.add_prefix("value")) is not None and self.range is not None:
            # Once warned, the person can confirm: the box is shown from then on.
            self.fields["confirm"].widget = forms.CheckboxInput()

    def value_data(self) -> dict[str, Any]:
        return {name: self.cleaned_data[name] for name in self.VALUE_NAMES}

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        value = data.get("value")
        if value is None or self.range is None or self.range.holds(value) or data.get("confirm"):
            return data
        seen = (
            f"{fmt_value(self.range.seen_low, self.kpi.unit)}–"
            f"{fmt_value(self.range.seen_high, self.kpi.unit)}"
        )
        self.add_error(
            "value",
            f"{fmt_value(value, self.kpi.unit, 4)} is far outside this KPI's recent values "
            f"({seen}). Check it, then tick “Yes, this number is right” to record it.",
        )
        return data


class DataSourceForm(TenantModelForm):
    url = forms.URLField(
        label="URL",
        required=False,
        max_length=1000,
        assume_scheme="https",
        help_text="Where the JSON or CSV is fetched from (https).",
    )
    auth_header = forms.CharField(
        label="Authorization header",
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Sent as the Authorization header. Never shown again; leave empty to keep it.",
    )
    csv_file = forms.FileField(
        label="CSV file", required=False, help_text="Or upload a CSV instead of a URL."
    )

    class Meta:
        model = DataSource
        # The uploaded file arrives through csv_file; the secret through auth_header.
        fields = [name for name in SOURCE_FIELDS if name != "csv_text"]
        field_classes = {"data_owner": UserChoiceField}
        labels = {
            "kind": "Format",
            "records_path": "Path to the records",
            "kpi_field": "KPI field",
            "date_field": "Date field",
            "value_field": "Value field",
            "confidence_field": "Confidence field",
            "interval_minutes": "Pull every (minutes)",
            "cron": "Or on a schedule (cron)",
            "enabled": "Pull on schedule",
        }
        help_texts = {
            "kpi_field": "The record's field holding the KPI's key.",
            "date_field": "The record's field holding the period date (YYYY-MM-DD).",
            "value_field": "The record's field holding the number.",
            "confidence_field": "Optional: final, preliminary or estimate per record.",
        }
        widgets = {"interval_minutes": UnitNumberInput("minutes")}

    def __init__(self, *args: Any, org: Organization, **kwargs: Any) -> None:
        super().__init__(*args, org=org, **kwargs)
        limit_choices(self, data_owner=org_members(org))

    def service_fields(self) -> dict[str, Any]:
        data = super().service_fields()
        data["auth_header"] = self.cleaned_data["auth_header"]
        upload = self.cleaned_data.get("csv_file")
        if upload is not None:
            data["csv_text"] = upload.read().decode("utf-8-sig", errors="replace")
        return data


class CsvImportForm(forms.Form):
    csv_file = forms.FileField(
        required=False,
        label="CSV file",
        help_text="Columns: kpi (key or id), period_date (YYYY-MM-DD), value, and optionally "
        f"{', '.join(OPTIONAL_FIELDS)}.",
    )
    csv_text = forms.CharField(required=False, widget=forms.HiddenInput)

    def rows_text(self) -> str:
        upload: UploadedFile | None = self.cleaned_data.get("csv_file")
        if upload is not None:
            # django-stubs proxy File.read as a property of type Any; an upload reads as bytes.
            content: bytes = upload.read()
            return content.decode("utf-8-sig", errors="replace")
        return self.cleaned_data.get("csv_text") or ""
