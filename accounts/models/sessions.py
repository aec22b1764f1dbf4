"""Sign-ins as the learner sees them: one row per refresh-token family (`accounts.tokens`)."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import User


class SignIn(models.Model):
    """One sign-in: created with its first token pair, touched on every refresh, ended by logout,
    revocation (the sessions API) or `sign_ins_end_all`. Its refresh tokens carry `sid`."""

    sid = models.CharField(_("sign-in id"), max_length=64, unique=True)
    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="sign_ins")
    device = models.CharField(_("device"), max_length=128, blank=True)
    # Where the sign-in was last used from (set at sign-in and on every refresh).
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    created_at = models.DateTimeField(_("signed in at"), default=timezone.now)
    last_used_at = models.DateTimeField(_("last used at"), default=timezone.now)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        ordering = ("-last_used_at", "-id")
        indexes = [
            models.Index(
                fields=["user", "-last_used_at"],
                condition=Q(ended_at__isnull=True),
                name="signin_user_live",
            ),
            # Retention (`sign_ins_purge`): ended sign-ins, and those idle past the refresh life.
            models.Index(
                fields=["ended_at"], condition=Q(ended_at__isnull=False), name="signin_ended"
            ),
            models.Index(fields=["last_used_at"], name="signin_last_used"),
        ]
        verbose_name = _("sign-in")
        verbose_name_plural = _("sign-ins")

    def __str__(self) -> str:
        return f"sign-in {self.sid[:8]} of {self.user_id}"
