from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default_auto_field = "django.db.models.BigAutoField"
    name = "accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        """The account's own section of a data export (the other apps add theirs in their
        ready, which runs after this one)."""
        from .data_export import data_export_sections
        from .selectors import accounts_export_for_user

        data_export_sections.register("accounts", accounts_export_for_user)

        # Staff need a second factor for the admin (accounts.admin_mfa).
        from django.contrib import admin

        from .admin_mfa import admin_mfa_install

        admin_mfa_install(admin.site)
