"""One-time codes mailed to prove control of an address: email verification, password reset,
email change, account unlock (`services.verification`)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class CodePurpose(models.TextChoices):
    VERIFY_EMAIL = "verify_email", _("Verify email")
    RESET_PASSWORD = "reset_password", _("Reset password")
    CHANGE_EMAIL = "change_email", _("Change email")
    UNLOCK_ACCOUNT = "unlock_account", _("Unlock account")


class OneTimeCode(models.Model):
    """A code sent to `email` for `purpose`. Only a keyed hash of the code is stored; the
    plaintext exists in the process that issues it and in the mail it sends. At most one live
    code per purpose and address (issuing deletes the earlier ones). Rows are deleted once
    expired (`tasks.purge_one_time_codes`, ACCOUNTS_CODE_PURGE_* settings)."""

    purpose = models.CharField(_("purpose"), max_length=32, choices=CodePurpose.choices)
    # Normalized (lower-cased): the address the code was sent to, not necessarily the user's
    # (an email change sends it to the new address).
    email = models.CharField(_("email"), max_length=254)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.CASCADE,
        related_name="one_time_codes",
    )
    code_hash = models.CharField(_("code hash"), max_length=64)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [
            models.Index(fields=["purpose", "email"], name="onetimecode_purpose_email"),
            models.Index(fields=["user", "purpose"], name="onetimecode_user_purpose"),
        ]

    def __str__(self) -> str:
        return f"{self.purpose} code for {self.email}"
