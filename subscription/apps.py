from django.apps import AppConfig


class SubscriptionConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "subscription"

    def ready(self) -> None:
        from accounts.services.export import data_export_sections

        from . import subscribers  # noqa: F401  # the erasure of a deleted account
        from .selectors.export import subscription_export_for_user
        from .services.ai_credits import install_credit_hook

        install_credit_hook()
        data_export_sections.register("subscription", subscription_export_for_user)
