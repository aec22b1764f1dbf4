"""The provider of accounts' mail port (`accounts.mail`): account messages by email only.

A message is rendered from the notification templates of its kind in the recipient's language
(English when that language has none) and sent at once over the email channel's SMTP
connection. Nothing is stored: no notification (the in-app inbox would show a code), no
delivery row (its detail would keep the words), no event; the log names the kind only. The
learner's channel preferences and quiet hours do not apply: a code asked for now is needed now,
and account notices are not optional. Retrying is the caller's (`accounts.tasks` issues a new
code and sends again); a code is never kept around to be re-sent.
"""

from __future__ import annotations

from collections.abc import Mapping
from email.utils import make_msgid
from typing import Any

import structlog
from django.conf import settings
from django.core.mail import EmailMultiAlternatives

from accounts.services import MailNotSent

from ..channels import PermanentFailure, TemporaryFailure
from ..channels.email import smtp_send
from ..kinds import ACCOUNT_MAIL_KINDS
from ..rendering import TemplateMissing, render, template_for

logger = structlog.get_logger(__name__)


class AccountMail:
    def send(self, *, to_email: str, language: str, kind: str, context: Mapping[str, Any]) -> None:
        if kind not in ACCOUNT_MAIL_KINDS:
            raise MailNotSent(f"{kind!r} is not account mail", temporary=False)
        try:
            rendered = render(template_for(kind, language), context)
        except TemplateMissing as exc:
            raise MailNotSent(str(exc), temporary=False) from exc
        domain = settings.DEFAULT_FROM_EMAIL.rsplit("@", 1)[-1].strip(" >") or "studymate"
        message = EmailMultiAlternatives(
            subject=rendered.subject,
            body=rendered.text,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[to_email],
            headers={"Message-ID": make_msgid(idstring="account", domain=domain)},
        )
        if rendered.html:
            message.attach_alternative(rendered.html, "text/html")
        try:
            smtp_send(message)
        except TemporaryFailure as exc:
            logger.warning("notifications.account_mail_failed", kind=kind, temporary=True)
            raise MailNotSent(str(exc), temporary=True) from exc
        except PermanentFailure as exc:
            logger.warning("notifications.account_mail_failed", kind=kind, temporary=False)
            raise MailNotSent(str(exc), temporary=False) from exc
        logger.info("notifications.account_mail_sent", kind=kind, language=rendered.language)
