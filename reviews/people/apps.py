from django.apps import AppConfig


class PeopleConfig(AppConfig):
    """The people layer: 1:1s, recognition and improvement plans, behind a wall of its own."""

    name = "reviews.people"
    label = "people"
    default_auto_field = "django.db.models.BigAutoField"
