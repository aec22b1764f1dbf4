from django.apps import AppConfig


class StudyConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "study"

    def ready(self) -> None:
        # The study section of a learner's data export (accounts asks, study answers).
        from accounts.services.export import data_export_sections

        from . import subscribers  # noqa: F401  # the erasure of a deleted account
        from .selectors.export import study_export_for_user

        data_export_sections.register("study", study_export_for_user, csv=("progress",))
