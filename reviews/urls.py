from django.urls import path

from reviews import views, views_dashboards

app_name = "reviews"

urlpatterns = [
    path("dashboard/", views_dashboards.dashboard, name="dashboard"),
    path("exceptions/", views_dashboards.exceptions, name="exceptions"),
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
]
