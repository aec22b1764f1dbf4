from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        # Registers the event-store subscribers and connects the other apps' signals.
        from . import receivers

        receivers.connect()
