from django.urls import path

from objectives import views

app_name = "objectives"

urlpatterns = [
    path("", views.cascade, name="cascade"),
    path("explorer/", views.explorer, name="explorer"),
    path("explorer/<uuid:priority_id>/", views.explorer_priority, name="explorer-priority"),
    path("map/", views.strategy_map_page, name="map"),
    path("priorities/new/", views.priority_create, name="priority-create"),
    path("priorities/<uuid:priority_id>/edit/", views.priority_edit, name="priority-edit"),
    path("objectives/new/", views.objective_create, name="objective-create"),
    path("objectives/<uuid:objective_id>/edit/", views.objective_edit, name="objective-edit"),
]
