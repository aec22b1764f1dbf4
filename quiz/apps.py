from django.apps import AppConfig


class QuizConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "quiz"

    def ready(self) -> None:
        # The quiz section of a learner's data export (accounts asks, quiz answers).
        from accounts.services.export import data_export_sections

        from . import subscribers  # noqa: F401  # the erasure of a deleted account
        from .selectors import quiz_export_for_user

        data_export_sections.register("quiz", quiz_export_for_user, csv=("answers",))
