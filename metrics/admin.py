from django.contrib import admin

from metrics.models import (
    Forecast,
    ForecastAccuracy,
    IngestionRun,
    Kpi,
    KpiLink,
    LinkEvidence,
    MetricValue,
    Target,
)


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):
    list_display = ["name", "key", "organization", "kind", "cadence", "is_key", "outcome_owner"]
    list_filter = ["organization", "kind", "cadence", "is_key"]
    list_select_related = ["organization", "outcome_owner"]
    search_fields = ["name", "key"]
    raw_id_fields = ["objective", "outcome_owner", "data_owner"]


@admin.register(KpiLink)
class KpiLinkAdmin(admin.ModelAdmin):
    list_display = ["lead", "lag", "organization"]
    list_filter = ["organization"]
    list_select_related = ["lead", "lag", "organization"]
    raw_id_fields = ["lead", "lag"]


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ["kpi", "period_start", "period_end", "value", "organization"]
    list_filter = ["organization"]
    list_select_related = ["kpi", "organization"]
    raw_id_fields = ["kpi"]


@admin.register(MetricValue)
class MetricValueAdmin(admin.ModelAdmin):
    list_display = ["kpi", "period_date", "value", "confidence", "source", "organization"]
    list_filter = ["organization", "confidence", "source"]
    list_select_related = ["kpi", "organization"]
    raw_id_fields = ["kpi", "recorded_by"]
    show_full_result_count = False


@admin.register(IngestionRun)
class IngestionRunAdmin(admin.ModelAdmin):
    list_display = ["source", "slot", "attempt", "status", "queued_at", "started_at", "finished_at"]
    list_filter = ["organization", "status"]
    list_select_related = ["source"]
    search_fields = ["source__name", "error"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # the run log is written by the pulls and the sweep only


@admin.register(Forecast)
class ForecastAdmin(admin.ModelAdmin):
    list_display = ["kpi", "version", "method", "mase", "beats_baseline", "made_at", "organization"]
    list_filter = ["organization", "method", "beats_baseline", "judged"]
    list_select_related = ["kpi", "organization"]
    raw_id_fields = ["kpi"]
    show_full_result_count = False

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # a forecast is a record of what was predicted when


@admin.register(ForecastAccuracy)
class ForecastAccuracyAdmin(admin.ModelAdmin):
    list_display = ["kpi", "horizon", "scored", "mase", "smape", "updated_at"]
    list_filter = ["organization"]
    list_select_related = ["kpi"]
    raw_id_fields = ["kpi"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # computed from the forecasts and the actuals


@admin.register(LinkEvidence)
class LinkEvidenceAdmin(admin.ModelAdmin):
    list_display = ["link", "verdict", "best_lag", "correlation", "p_value", "n_points"]
    list_filter = ["organization", "verdict"]
    list_select_related = ["link__lead", "link__lag"]
    raw_id_fields = ["link"]

    def has_change_permission(self, request, obj=None) -> bool:
        return False  # recomputed from the data, never edited
