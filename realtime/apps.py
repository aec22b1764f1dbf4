from django.apps import AppConfig


class RealtimeConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "realtime"

    def ready(self) -> None:
        # Registers the event-store subscribers (sockets follow their user's credentials).
        from . import subscribers  # noqa: F401
