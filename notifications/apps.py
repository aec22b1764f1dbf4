from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        # Registers the subscribers to the other apps' events.
        from . import subscribers  # noqa: F401
