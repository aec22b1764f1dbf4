from django.apps import AppConfig


class CoreConfig(AppConfig):
    """The shared platform as a Django app: its models (event store, metric aggregates),
    management commands (cache, cqrs) and Celery tasks."""

    default_auto_field = "django.db.models.BigAutoField"
    name = "studymate_api.core"
    label = "core"
    verbose_name = "Platform"

    def ready(self) -> None:
        # The shared modules define their Celery tasks and signal receivers at import time.
        from studymate_api import cache, cqrs, metrics, streaming  # noqa: F401
