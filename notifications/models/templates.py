from __future__ import annotations

from django.core.exceptions import ValidationError
from django.db import models
from django.template import Template, TemplateSyntaxError
from django.utils.translation import gettext_lazy as _

from ..kinds import Kind


class TemplateLanguage(models.TextChoices):
    KOREAN = "ko", _("Korean")
    ENGLISH = "en", _("English")


class NotificationTemplate(models.Model):
    """The words of one kind in one language, per channel, as Django template source.

    Staff edit these in the admin; a data migration seeds every kind in Korean and English.
    `subject` is the email subject and the in-app and push title.
    """

    kind = models.CharField(_("kind"), max_length=32, choices=Kind.choices)
    language = models.CharField(_("language"), max_length=8, choices=TemplateLanguage.choices)
    subject = models.CharField(_("subject / title"), max_length=300)
    text_body = models.TextField(_("text body (in-app and email)"))
    html_body = models.TextField(_("HTML body (email)"), blank=True)
    push_body = models.CharField(_("push body"), max_length=500, blank=True)
    sms_body = models.CharField(_("SMS body"), max_length=500, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ("kind", "language")
        constraints = [
            models.UniqueConstraint(fields=["kind", "language"], name="notif_template_kind_lang"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} ({self.language})"

    def clean(self) -> None:
        errors: dict[str, str] = {}
        for name in ("subject", "text_body", "html_body", "push_body", "sms_body"):
            try:
                Template(getattr(self, name))
            except TemplateSyntaxError as exc:
                errors[name] = str(exc)
        if errors:
            raise ValidationError(errors)
