from django.apps import AppConfig


class PerfmgmtConfig(AppConfig):
    name = "perfmgmt"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.contrib import admin
        from django.contrib.auth.signals import user_logged_in
        from django.db.backends.signals import connection_created

        # The operator's admin says whose it is; organisations are run from their own pages.
        admin.site.site_header = "perfmgmt operator admin"
        admin.site.site_title = "perfmgmt admin"
        admin.site.index_title = "Operator administration"

        from perfmgmt.middleware import start_session_clock
        from perfmgmt.rls import install

        # The session timeouts count from the sign-in, so the first request writes nothing.
        user_logged_in.connect(start_session_clock, dispatch_uid="perfmgmt-session-clock")
        # Row-level security: each statement carries the scope's organisation (perfmgmt.rls).
        connection_created.connect(install, dispatch_uid="perfmgmt-rls")
