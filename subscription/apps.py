from django.apps import AppConfig


class SubscriptionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "subscription"

    def ready(self) -> None:
        from .services.ai_credits import install_credit_hook

        install_credit_hook()
