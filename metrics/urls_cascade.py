"""The cascade pages, at the top of an organisation's URLs: /o/<org>/, explorer/, map/."""

from django.urls import path

from metrics import views_cascade

app_name = "cascade"

urlpatterns = [
    path("", views_cascade.cascade, name="cascade"),
    path("explorer/", views_cascade.explorer, name="explorer"),
    path("explorer/<uuid:priority_id>/", views_cascade.explorer_priority, name="explorer-priority"),
    path("map/", views_cascade.strategy_map_page, name="map"),
]
