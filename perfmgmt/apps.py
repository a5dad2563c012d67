from django.apps import AppConfig


class PerfmgmtConfig(AppConfig):
    name = "perfmgmt"
    default_auto_field = "django.db.models.BigAutoField"
