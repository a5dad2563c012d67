from django.urls import path

from metrics import views, views_dashboards, views_foresight, views_sources

app_name = "metrics"

urlpatterns = [
    path("kpis/new/", views.kpi_create, name="kpi-create"),
    path("kpis/<uuid:kpi_id>/", views.kpi_detail, name="kpi-detail"),
    path("kpis/<uuid:kpi_id>/edit/", views.kpi_edit, name="kpi-edit"),
    path("kpis/<uuid:kpi_id>/target/", views.target_set, name="target-set"),
    path("kpis/<uuid:kpi_id>/values/new/", views.value_record, name="value-record"),
    path("kpis/<uuid:kpi_id>/pin/", views_dashboards.pin, name="kpi-pin"),
    path("sources/", views_sources.sources, name="sources"),
    path("sources/<uuid:source_id>/", views_sources.source, name="source"),
    path("import/", views_sources.csv_import, name="import"),
    path("lead-lag/", views_foresight.lead_lag, name="lead-lag"),
]
