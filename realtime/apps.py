from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "realtime"

    def ready(self) -> None:
        # Registers the event-store subscribers (sockets follow their user's credentials).
        from accounts.services.export import data_export_sections

        from . import subscribers  # noqa: F401
        from .selectors.export import realtime_export_for_user

        # The realtime section of a learner's data export.
        data_export_sections.register("realtime", realtime_export_for_user)
