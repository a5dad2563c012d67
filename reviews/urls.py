from django.urls import path

from reviews import (
    views,
    views_audit,
    views_dashboards,
    views_exports,
    views_learning,
    views_packs,
)

app_name = "reviews"

urlpatterns = [
    path("dashboard/", views_dashboards.dashboard, name="dashboard"),
    path("exceptions/", views_dashboards.exceptions, name="exceptions"),
    path("health/", views_dashboards.health, name="health"),
    path("exceptions/export/", views_exports.exceptions_export, name="exceptions-export"),
    path("explorer/export/", views_exports.explorer_export, name="explorer-export"),
    path(
        "kpis/<uuid:kpi_id>/values/export/",
        views_exports.kpi_values_export,
        name="kpi-values-export",
    ),
    path("kpis/<uuid:kpi_id>/commentary/", views_packs.kpi_commentary, name="kpi-commentary"),
    path("kpis/<uuid:kpi_id>/misses/", views_learning.kpi_misses, name="kpi-misses"),
    path("kpis/<uuid:kpi_id>/history/", views_audit.kpi_history, name="kpi-history"),
    path(
        "objectives/<uuid:objective_id>/history/",
        views_audit.objective_history,
        name="objective-history",
    ),
    path(
        "priorities/<uuid:priority_id>/history/",
        views_audit.priority_history,
        name="priority-history",
    ),
    path("audit/", views_audit.audit_log_page, name="audit-log"),
    path("owe/", views.owe, name="owe"),
    path("checkins/", views.checkin_page, name="checkin"),
    path("checkins/missing/", views.missing, name="missing"),
    path("checkins/<uuid:objective_id>/", views.checkin_submit, name="checkin-submit"),
    path(
        "objectives/<uuid:objective_id>/checkins/",
        views.objective_checkins,
        name="objective-checkins",
    ),
    path("objectives/<uuid:objective_id>/risks/", views.risk_add, name="risk-add"),
    path("risks/<uuid:risk_id>/review/", views.risk_review, name="risk-review"),
    path("reviews/", views.meetings, name="meetings"),
    path("reviews/<uuid:meeting_id>/", views.meeting, name="meeting"),
    path("actions/<uuid:action_id>/status/", views.action_status, name="action-status"),
    path("packs/", views_packs.packs, name="packs"),
    path("packs/chase/", views_packs.commentary_chase_view, name="packs-chase"),
    path("packs/<uuid:pack_id>/", views_packs.pack_status, name="pack-status"),
    path("packs/<uuid:pack_id>/pdf/", views_packs.pack_pdf, name="pack-pdf"),
    path("packs/<uuid:pack_id>/xlsx/", views_packs.pack_xlsx, name="pack-xlsx"),
    path("packs/<uuid:pack_id>/present/", views_packs.pack_present_view, name="pack-present"),
    path("packs/<uuid:pack_id>/retry/", views_packs.pack_retry_view, name="pack-retry"),
    path("commentary/", views_packs.commentary, name="commentary"),
    path("commentary/<uuid:kpi_id>/", views_packs.commentary_submit, name="commentary-submit"),
]
