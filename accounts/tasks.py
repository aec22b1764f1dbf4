"""Background work of accounts. Each task takes ids (or an address) and calls one service."""

from __future__ import annotations

from celery import shared_task
from django.conf import settings

from .mail import account_mail_send
from .services import deletion, export, sessions, verification

# --- one-time codes ------------------------------------------------------------------------------


@shared_task(name="accounts.send_code", acks_late=True, soft_time_limit=60, time_limit=90)
def send_code(purpose: str, email: str, user_id: int | None) -> bool:
    """Issues a one-time code and mails it (`verification.code_send`): the plaintext code
    exists only in this worker, never in the broker. Sending twice only replaces the first code
    by a second one. A failed send is not retried: the learner asks again (resend)."""
    return verification.code_send(purpose=purpose, email=email, user_id=user_id)


@shared_task(name="accounts.send_mail", acks_late=True, soft_time_limit=60, time_limit=90)
def send_account_mail(to_email: str, language: str, kind: str, context: dict[str, str]) -> bool:
    """A notice about the account (email changed, deletion scheduled or done, export ready).
    Not retried: a notice sent twice would confuse more than one that failed (it is logged)."""
    return account_mail_send(to_email=to_email, language=language, kind=kind, context=context)


@shared_task(
    name="accounts.purge_one_time_codes", ignore_result=True, soft_time_limit=100, time_limit=120
)
def purge_one_time_codes() -> int:
    """The retention of `OneTimeCode` (ACCOUNTS_CODES_BEAT_SCHEDULE): expired and used codes,
    a bounded batch per run; safe to run twice."""
    return verification.codes_purge()


# --- sign-ins ----------------------------------------------------------------------------------


@shared_task(
    name="accounts.purge_sign_ins", ignore_result=True, soft_time_limit=100, time_limit=120
)
def purge_sign_ins() -> int:
    """The retention of `SignIn` (ACCOUNTS_SIGN_INS_BEAT_SCHEDULE): ended and long-idle
    sign-ins, bounded per run; safe to run twice."""
    return sessions.sign_ins_purge()


@shared_task(
    name="accounts.purge_refresh_tokens", ignore_result=True, soft_time_limit=100, time_limit=120
)
def purge_refresh_tokens() -> int:
    """The retention of simplejwt's `OutstandingToken` and `BlacklistedToken`
    (ACCOUNTS_TOKENS_BEAT_SCHEDULE): expired tokens, bounded per run; safe to run twice."""
    return sessions.refresh_tokens_purge()


@shared_task(
    name="accounts.purge_login_history", ignore_result=True, soft_time_limit=100, time_limit=120
)
def purge_login_history() -> int:
    """The retention of `LoginHistory` (ACCOUNTS_LOGIN_HISTORY_BEAT_SCHEDULE): attempts past
    the audit window, bounded per run; safe to run twice."""
    return sessions.login_history_purge()


@shared_task(
    name="accounts.purge_expired_sessions",
    ignore_result=True,
    soft_time_limit=100,
    time_limit=120,
)
def purge_expired_sessions() -> int:
    """The retention of Django's sessions (ACCOUNTS_LOGIN_HISTORY_BEAT_SCHEDULE): expired ones,
    bounded per run; safe to run twice."""
    return sessions.expired_sessions_purge()


# --- data export ---------------------------------------------------------------------------------


@shared_task(
    name="accounts.build_data_export",
    acks_late=True,
    # The soft limit raises inside the build first: the export is marked failed, not left held.
    soft_time_limit=max(1, settings.ACCOUNTS_DATA_EXPORT_TIME_LIMIT * 9 // 10),
    time_limit=settings.ACCOUNTS_DATA_EXPORT_TIME_LIMIT,
)
def build_data_export(export_id: int) -> str:
    """Idempotent: a redelivered message finds the export claimed or finished and does nothing
    (see `services.export.data_export_claim`)."""
    built = export.data_export_build(export_id=export_id)
    return "skipped" if built is None else str(built.status)


@shared_task(name="accounts.sweep_data_exports", soft_time_limit=240, time_limit=280)
def sweep_data_exports() -> dict[str, int]:
    """Beat (ACCOUNTS_DATA_EXPORT_BEAT_SCHEDULE): expired links lose their files, stale builds
    are enqueued again, old rows go (`services.export.data_exports_sweep`)."""
    result = export.data_exports_sweep()
    return {"expired": result.expired, "requeued": result.requeued, "pruned": result.pruned}


# --- deletion ----------------------------------------------------------------------------------


@shared_task(
    name="accounts.erase_due_accounts", ignore_result=True, soft_time_limit=240, time_limit=280
)
def erase_due_accounts() -> dict[str, int]:
    """Beat (ACCOUNTS_DELETION_BEAT_SCHEDULE): accounts past their grace period are erased
    (`services.deletion.account_erasures_run`); each step claims its row, so running it twice
    or concurrently does each erasure once."""
    report = deletion.account_erasures_run()
    return {"started": report.started, "finished": report.finished}
