"""Account mail: the messages about the account itself (codes, notices), sent by email only.

Accounts declares what it needs; the notifications app provides it (`NotificationsConfig.ready`:
`account_mail.provide(...)`), rendering the notification templates of `kind` in the recipient's
language and sending them over its email channel (SMTP). Until a provider is registered, mail is
only logged, without its context.

Codes are secrets: a message is rendered and sent in memory, never stored (no notification row,
no inbox entry, no event), and its context is never logged. `send` talks to SMTP, so it runs in
Celery tasks, after commit: `account_mail_on_commit` for notices, and `services.verification`
issues a code and mails it in one task, so the plaintext code never reaches the broker either.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Any, Protocol

import structlog
from django.db import transaction

from studymate_api.ports import Port

logger = structlog.get_logger(__name__)


class MailKind(StrEnum):
    """The notification kinds of account mail, and the context each template uses (every
    template also gets `name`, the account's first name or username)."""

    EMAIL_VERIFICATION = "email_verification"  # code, minutes
    PASSWORD_RESET = "password_reset"  # noqa: S105 - a kind's name; context: code, minutes
    EMAIL_CHANGE_CODE = "email_change_code"  # code, minutes
    EMAIL_CHANGED_NOTICE = "email_changed_notice"  # new_email
    ACCOUNT_UNLOCK = "account_unlock"  # code, minutes
    ACCOUNT_DELETION_SCHEDULED = "account_deletion_scheduled"  # deletion_date
    ACCOUNT_DELETED = "account_deleted"  # (name only)
    DATA_EXPORT_READY = "data_export_ready"  # download_url, expires_at


class MailNotSent(Exception):
    """The message did not go out. `temporary`: worth trying again later (timeouts, 4xx)."""

    def __init__(self, message: str, *, temporary: bool) -> None:
        super().__init__(message)
        self.temporary = temporary


class AccountMailer(Protocol):
    def send(self, *, to_email: str, language: str, kind: str, context: Mapping[str, Any]) -> None:
        """Render `kind` in `language` (else English) with `context` and send it to `to_email`
        now. Raises MailNotSent when the message could not be sent."""
        ...


class _LogOnly:
    """Without the notifications app: a log line naming the kind, never the context."""

    def send(self, *, to_email: str, language: str, kind: str, context: Mapping[str, Any]) -> None:
        logger.info("accounts.mail_not_sent", kind=kind, language=language)


account_mail: Port[AccountMailer] = Port("accounts.mail", default=_LogOnly())


def account_mail_on_commit(
    *, to_email: str, language: str, kind: str, context: Mapping[str, str]
) -> None:
    """After the current transaction commits (at once outside one), a task sends the message
    (`tasks.send_account_mail` -> `account_mail_send`): the request does not wait on SMTP. The
    context of these kinds holds no secret (codes go through `tasks.send_code`, which issues
    them in the worker). A broker that refuses is logged with the kind only: the caller's write
    stands."""

    def enqueue() -> None:
        from .tasks import (
            send_account_mail,
        )  # the task module imports the services, which import this

        try:
            send_account_mail.delay(to_email, language, str(kind), dict(context))
        except Exception:
            logger.warning("accounts.mail_enqueue_failed", kind=str(kind), exc_info=True)

    transaction.on_commit(enqueue)


def account_mail_send(
    *, to_email: str, language: str, kind: str, context: Mapping[str, str]
) -> bool:
    """The task's work: send now; a failure is logged with the kind only (never the context)
    and answers False."""
    try:
        account_mail.get().send(to_email=to_email, language=language, kind=kind, context=context)
    except MailNotSent as exc:
        logger.warning("accounts.mail_failed", kind=kind, temporary=exc.temporary)
        return False
    return True
