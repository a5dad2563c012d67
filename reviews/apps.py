from django.apps import AppConfig

from metrics.signals import source_failing


class ReviewsConfig(AppConfig):
    name = "reviews"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        # Imported once the app registry is ready, as Django asks of signal wiring: reminders
        # reads models, which are not loaded yet when this module is.
        from reviews import reminders

        # metrics sits below reviews and cannot call it; it announces, reviews tells the owner.
        source_failing.connect(
            reminders.source_failing_received, dispatch_uid="reviews.source_failing"
        )
