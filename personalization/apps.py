from django.apps import AppConfig


class PersonalizationConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "personalization"

    def ready(self) -> None:
        """Plugs the learner model into the quiz app, which never imports personalization:
        graded answers feed the model, and adaptive attempts ask it for predicted success."""
        from quiz.services import answer_graded, set_success_predictor

        from .receivers import knowledge_update_enqueue
        from .selectors.adaptive import predict_success
        from .selectors.knowledge import TARGET_BAND

        answer_graded.connect(
            knowledge_update_enqueue, dispatch_uid="personalization.knowledge_update"
        )
        set_success_predictor(predict_success, band=TARGET_BAND)
        # Registers the subscribers that feed the profile and the concept review cards.
        from . import events  # noqa: F401
