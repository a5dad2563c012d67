from django.apps import AppConfig


class ObjectivesConfig(AppConfig):
    name = "objectives"
    default_auto_field = "django.db.models.BigAutoField"
