from django.apps import AppConfig


class NotificationsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "notifications"

    def ready(self) -> None:
        # Registers the subscribers to the other apps' events.
        # Account mail (codes, notices): email only, rendered from this app's templates.
        from accounts.services import account_mail

        # The deployment checks of outgoing mail.
        from . import checks, subscribers  # noqa: F401
        from .services.account_mail import AccountMail

        account_mail.provide(AccountMail())

        # The notifications section of a learner's data export.
        from accounts.services.export import data_export_sections

        from .selectors import notifications_export_for_user

        data_export_sections.register("notifications", notifications_export_for_user)
