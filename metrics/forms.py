from __future__ import annotations

from typing import Any

from django import forms
from django.core.files.uploadedfile import UploadedFile

from metrics.ingestion import OPTIONAL_FIELDS
from metrics.models import Confidence, DataSource, Kpi, KpiKind
from metrics.services import KPI_FIELDS
from metrics.sources import SOURCE_FIELDS
from objectives.models import Objective
from perfmgmt.forms import PeriodField, TenantModelForm, UserChoiceField, limit_choices
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
    value = forms.FloatField(label="Target")
    green_threshold = forms.FloatField(
        required=False, help_text="At or better than this is green (default: the target)."
    )
    amber_threshold = forms.FloatField(
        required=False, help_text="At or better than this is amber (default: 10% off target)."
    )

    def __init__(self, *args, org: Organization, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields = {"period": PeriodField(org=org), **self.fields}


class ValueForm(forms.Form):
    """A value of one KPI by hand: VALUE_FIELDS but the KPI (the page's) and when it was
    measured (now); the names are the ingestion's, handed to metric_value_record as they are."""

    period_date = forms.DateField(
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="Any day in the period; the value is filed under the period's first day.",
    )
    value = forms.FloatField()
    confidence = forms.ChoiceField(choices=Confidence.choices, initial=Confidence.PRELIMINARY)
    note = forms.CharField(max_length=500, required=False)


class DataSourceForm(TenantModelForm):
    url = forms.URLField(required=False, max_length=1000, assume_scheme="https")
    auth_header = forms.CharField(
        required=False,
        widget=forms.PasswordInput(render_value=False),
        help_text="Sent as the Authorization header. Never shown again; leave empty to keep it.",
    )
    csv_file = forms.FileField(required=False, help_text="Or upload a CSV instead of a URL.")

    class Meta:
        model = DataSource
        # The uploaded file arrives through csv_file; the secret through auth_header.
        fields = [name for name in SOURCE_FIELDS if name != "csv_text"]
        field_classes = {"data_owner": UserChoiceField}

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
