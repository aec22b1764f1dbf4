from django.apps import AppConfig


class StudyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "study"

    def ready(self) -> None:
        # Registers the study commands, queries and projections on the CQRS buses.
        from .cqrs import handlers, projections  # noqa: F401
