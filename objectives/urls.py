from django.urls import path

from objectives import views

app_name = "objectives"

urlpatterns = [
    path("priorities/new/", views.priority_create, name="priority-create"),
    path("priorities/<uuid:priority_id>/edit/", views.priority_edit, name="priority-edit"),
    path("objectives/new/", views.objective_create, name="objective-create"),
    path("objectives/<uuid:objective_id>/edit/", views.objective_edit, name="objective-edit"),
]
