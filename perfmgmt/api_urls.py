"""`/api/v1/`: every endpoint is under one organisation, `/api/v1/o/<org_slug>/...`."""

from django.urls import include, path, re_path
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView

from metrics import api as metrics_api
from metrics import api_cascade
from objectives import api as objectives_api
from perfmgmt.api import api_not_found
from reviews import api as reviews_api

org_patterns = [
    path("cascade/", api_cascade.CascadeAPI.as_view(), name="cascade"),
    path("priorities/", objectives_api.PriorityListAPI.as_view(), name="priority-list"),
    path(
        "priorities/<uuid:priority_id>/",
        objectives_api.PriorityDetailAPI.as_view(),
        name="priority-detail",
    ),
    path("objectives/", objectives_api.ObjectiveListAPI.as_view(), name="objective-list"),
    path(
        "objectives/<uuid:objective_id>/",
        objectives_api.ObjectiveDetailAPI.as_view(),
        name="objective-detail",
    ),
    path("kpis/", metrics_api.KpiListAPI.as_view(), name="kpi-list"),
    path("kpis/<uuid:kpi_id>/", metrics_api.KpiDetailAPI.as_view(), name="kpi-detail"),
    path("targets/", metrics_api.TargetListAPI.as_view(), name="target-list"),
    path("values/", metrics_api.ValueListAPI.as_view(), name="value-list"),
    path("values/bulk/", metrics_api.ValueBulkAPI.as_view(), name="value-bulk"),
    path("health/", reviews_api.HealthAPI.as_view(), name="health"),
    path("packs/", reviews_api.PackListAPI.as_view(), name="pack-list"),
    path("packs/<uuid:pack_id>/", reviews_api.PackDetailAPI.as_view(), name="pack-detail"),
    path("packs/<uuid:pack_id>/pdf/", reviews_api.PackPdfAPI.as_view(), name="pack-pdf"),
    path("packs/<uuid:pack_id>/xlsx/", reviews_api.PackXlsxAPI.as_view(), name="pack-xlsx"),
]

urlpatterns = [
    path("v1/o/<slug:org_slug>/", include((org_patterns, "api"), namespace="api")),
    path("schema/", SpectacularAPIView.as_view(), name="api-schema"),
    # The split view serves its start-up script as a file of its own: the CSP allows no inline
    # script.
    path(
        "docs/",
        SpectacularSwaggerSplitView.as_view(
            url_name="api-schema", template_name="perfmgmt/swagger_ui.html"
        ),
        name="api-docs",
    ),
    # Last: whatever else is asked of /api/ gets the JSON 404 the schema promises.
    re_path(r"", api_not_found),
]
