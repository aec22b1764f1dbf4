from django.apps import AppConfig


class PersonalizationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "personalization"

    def ready(self) -> None:
        """Provides the learner model to quiz's adaptive attempts through their port (quiz
        never imports personalization), and registers the subscribers that feed the model,
        the profile and the review cards from other apps' events; adds its section to a
        learner's data export, and the spaced-review workload that study settings show."""
        from accounts.services.export import data_export_sections
        from quiz.services import success_predictor_port
        from study.selectors import review_workload_port

        from . import subscribers  # noqa: F401
        from .selectors.adaptive import LearnerModelPredictor
        from .selectors.export import personalization_export_for_user
        from .selectors.reviews import ReviewWorkloadProvider

        success_predictor_port.provide(LearnerModelPredictor())
        review_workload_port.provide(ReviewWorkloadProvider())
        data_export_sections.register("personalization", personalization_export_for_user)
