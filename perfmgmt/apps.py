from django.apps import AppConfig


class PerfmgmtConfig(AppConfig):
    name = "perfmgmt"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib.auth.signals import user_logged_in

        from perfmgmt.middleware import start_session_clock

        # The session timeouts count from the sign-in, so the first request writes nothing.
        user_logged_in.connect(start_session_clock, dispatch_uid="perfmgmt-session-clock")
