"""Deleting an account: requested with the password, cancelled within a grace period, erased
after it by every app.

Request (`account_deletion_request`): the learner proves who they are (their password; an
account without a usable password, one made by social sign-in, instead shows an access token
whose sign-in started within ACCOUNTS_DELETION_RECENT_SIGN_IN_MINUTES), then in one
transaction the account is deactivated, every sign-in ends (refresh and access tokens refused,
sockets closed) and the erasure is scheduled ACCOUNTS_DELETION_GRACE_DAYS ahead;
AccountDeletionRequested makes billing cancel the paid subscription at Stripe right after
commit, and an email tells the learner the date.

Grace period: the account is inactive, so every endpoint refuses its tokens (401), refresh
refuses them and sockets close. Login alone still accepts the right password
(`account_deletion_sign_in`, asked by `user_login`): it answers a token pair, with the date
(`deletion_scheduled_at`), that only `POST /api/auth/account/delete/cancel/` accepts; that
reactivates the account (`account_deletion_cancel`) and the same tokens then work everywhere.
Nothing else is undone: the cancelled subscription stays cancelled.

Erasure (`account_erasures_run`, beat): a due request is claimed with a conditional UPDATE
(scheduled -> erasing) and AccountErasureDue is recorded in the same transaction; every app's
subscriber erases its part after commit. Once the outbox has delivered it to all of them, the
next step (same run when Celery is eager, the next run otherwise) erases what accounts holds,
the platform's tables and the event store's mentions, sends the "account deleted" email to the
address it had, and deletes the user row (the request row stays, emptied, as the record that
an erasure happened). Each step claims its row first, so running either twice, or from two
workers, does it once.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import structlog
from allauth.account.models import EmailAddress
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken

from studymate_api.core.erasure import platform_forget_user
from studymate_api.core.errors import Conflict, validation_failed
from studymate_api.core.models import DomainEvent
from studymate_api.cqrs import events_forget_user, record_event

from ..events import (
    ACCOUNT_DELETION_REQUESTED,
    ACCOUNT_ERASURE_DUE,
    USER,
    AccountDeletionRequestedPayload,
    AccountErasureDuePayload,
)
from ..mail import MailKind, account_mail_on_commit
from ..models import LoginHistory, User
from ..models.codes import OneTimeCode
from ..models.lifecycle import AccountDeletion, AccountDeletionState, DataExport
from ..models.sessions import SignIn
from ..selectors import account_deletion_pending, user_preferred_language
from . import user_access_changed
from .sessions import sign_ins_end_all

logger = structlog.get_logger(__name__)

WRONG_PASSWORD = _("The password is not correct.")
SIGN_IN_AGAIN = _(
    "Sign in again, then delete the account within %(minutes)d minutes of signing in."
)

# --- request and cancel ------------------------------------------------------------------------


def account_deletion_request(
    *, user: User, password: str | None, sid: str | None
) -> AccountDeletion:
    """Schedules the erasure of `user`'s account and takes the account out of use at once (see
    the module docstring). A wrong or missing password is a 400 on `password`; so is, for an
    account without a usable password, a sign-in (`sid`, the access token's) that did not start
    recently. Billing cancels the paid subscription at Stripe when it hears
    AccountDeletionRequested, right after commit (retried by the outbox while Stripe fails)."""
    _check_identity(user, password=password, sid=sid)
    now = timezone.now()
    try:
        with transaction.atomic():
            locked = User.objects.select_for_update().get(pk=user.pk)
            if not locked.is_active:
                raise Conflict(_("This account is already being deleted."))
            deletion = AccountDeletion.objects.create(
                user=locked,
                requested_at=now,
                scheduled_for=now + timedelta(days=settings.ACCOUNTS_DELETION_GRACE_DAYS),
            )
            locked.is_active = False
            locked.save(update_fields=["is_active"])
            sign_ins_end_all(user=locked)
            user_access_changed(user=locked)  # sockets close; the cached read path re-checks
            payload: AccountDeletionRequestedPayload = {
                "user_id": locked.pk,
                "deletion_id": deletion.pk,
            }
            record_event(
                aggregate_type=USER,
                aggregate_id=locked.pk,
                event_type=ACCOUNT_DELETION_REQUESTED,
                payload=payload,
            )
            _mail(
                locked,
                MailKind.ACCOUNT_DELETION_SCHEDULED,
                {"deletion_date": deletion.scheduled_for.date().isoformat()},
            )
    except IntegrityError:  # a concurrent request of the same account won
        raise Conflict(_("This account is already being deleted.")) from None
    return deletion


def _check_identity(user: User, *, password: str | None, sid: str | None) -> None:
    if user.has_usable_password():
        if not password or not user.check_password(password):
            raise validation_failed("password", WRONG_PASSWORD)
        return
    minutes = settings.ACCOUNTS_DELETION_RECENT_SIGN_IN_MINUTES
    started = (
        SignIn.objects.filter(user=user, sid=sid, ended_at__isnull=True)
        .values_list("created_at", flat=True)
        .first()
        if sid
        else None
    )
    if started is None or started < timezone.now() - timedelta(minutes=minutes):
        raise validation_failed("password", SIGN_IN_AGAIN % {"minutes": minutes})


def account_deletion_sign_in(*, email: str, password: str) -> User | None:
    """For `user_login`, before Django's `authenticate` (which refuses inactive accounts): the
    account of `email` when its deletion can still be cancelled and `password` is right, so the
    learner can sign in to cancel it. None otherwise, and login goes on as usual (a wrong
    password then counts towards the lockout as any other)."""
    user = User.objects.filter(email__iexact=email, is_active=False).first()
    if user is None or account_deletion_pending(user_id=user.pk) is None:
        return None
    return user if user.check_password(password) else None


def account_deletion_cancel(*, user: User) -> None:
    """Stops the erasure and reactivates the account, while the grace period lasts: 409
    `conflict` when no deletion of this account can be cancelled (none was requested, or the
    grace period is over and the erasure is due or under way)."""
    now = timezone.now()
    with transaction.atomic():
        locked = User.objects.select_for_update().get(pk=user.pk)
        # Conditional: the erasure's claim (scheduled -> erasing) and this cannot both win.
        cancelled = AccountDeletion.objects.filter(
            user=locked, state=AccountDeletionState.SCHEDULED, scheduled_for__gt=now
        ).update(state=AccountDeletionState.CANCELED, canceled_at=now)
        if not cancelled:
            raise Conflict(_("This account is not scheduled for deletion."))
        locked.is_active = True
        locked.save(update_fields=["is_active"])
        user_access_changed(user=locked)


# --- erasure -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ErasureReport:
    started: int
    finished: int


def account_erasures_run(*, limit: int = 100) -> ErasureReport:
    """Beat's step (`accounts.tasks.erase_due_accounts`): starts the due erasures, then finishes
    those every app has done its part of. Safe to run at any time, twice, or concurrently."""
    started = account_erasures_start(limit=limit)
    return ErasureReport(started=started, finished=account_erasures_finish(limit=limit))


def account_erasures_start(*, limit: int = 100) -> int:
    """Claims each due request (scheduled -> erasing, one conditional UPDATE) and records
    AccountErasureDue in the same transaction: every app's subscriber erases its part after
    commit. Returns how many were claimed here."""
    now = timezone.now()
    due = AccountDeletion.objects.filter(
        state=AccountDeletionState.SCHEDULED, scheduled_for__lte=now
    ).order_by("scheduled_for", "id")
    claimed = 0
    # The user is None when its row went some other way (the admin deleted it).
    rows: Sequence[tuple[int, int | None]] = list(due.values_list("id", "user_id")[:limit])
    for deletion_id, user_id in rows:
        with transaction.atomic():
            claim = AccountDeletion.objects.filter(
                pk=deletion_id, state=AccountDeletionState.SCHEDULED, scheduled_for__lte=now
            )
            if user_id is None:  # nothing left to erase
                claim.update(state=AccountDeletionState.ERASED, erased_at=now)
                continue
            if not claim.update(state=AccountDeletionState.ERASING, erasure_started_at=now):
                continue
            payload: AccountErasureDuePayload = {"user_id": user_id, "deletion_id": deletion_id}
            event = record_event(
                aggregate_type=USER,
                aggregate_id=user_id,
                event_type=ACCOUNT_ERASURE_DUE,
                payload=payload,
            )
            AccountDeletion.objects.filter(pk=deletion_id).update(erasure_event_id=event.pk)
            claimed += 1
    if claimed:
        logger.info("account_erasures_started", count=claimed)
    return claimed


def account_erasures_finish(*, limit: int = 100) -> int:
    """Finishes each erasure whose AccountErasureDue every subscriber has had (the event is
    published): accounts' own part, then the user row. Returns how many were finished here."""
    waiting = dict(
        AccountDeletion.objects.filter(state=AccountDeletionState.ERASING)
        .order_by("erasure_started_at", "id")
        .values_list("id", "erasure_event_id")[:limit]
    )
    delivered = set(
        DomainEvent.objects.filter(
            pk__in=[event_id for event_id in waiting.values() if event_id is not None],
            published_at__isnull=False,
        ).values_list("id", flat=True)
    )
    finished = 0
    for deletion_id in [pk for pk, event_id in waiting.items() if event_id in delivered]:
        with transaction.atomic():
            deletion = (
                AccountDeletion.objects.select_for_update(of=("self",))
                .filter(pk=deletion_id, state=AccountDeletionState.ERASING)
                .select_related("user")
                .first()
            )
            if deletion is None:  # another worker finished it
                continue
            _erase_account(deletion)
            finished += 1
    if finished:
        logger.info("account_erasures_finished", count=finished)
    return finished


def _erase_account(deletion: AccountDeletion) -> None:
    """Accounts' part of the erasure, the platform's tables, the event store, then the user
    row: its deletion cascades to what is left (profile, sign-ins, social accounts, MFA
    authenticators, email addresses, data exports) and empties the links that are kept
    (payments, ledger, AI usage)."""
    user = deletion.user
    now = timezone.now()
    if user is not None:
        email, user_id = user.email, user.pk
        name = user.first_name or user.username
        language = user_preferred_language(user=user) or settings.LANGUAGE_CODE
        _accounts_forget(user)
        platform_forget_user(user_id=user_id, surrogate_id=-deletion.pk)
        events_forget_user(user_id=user_id)
        user.delete()
        # To the address the account had, after commit: the last thing we send it.
        account_mail_on_commit(
            to_email=email, language=language, kind=MailKind.ACCOUNT_DELETED, context={"name": name}
        )
    AccountDeletion.objects.filter(pk=deletion.pk).update(
        state=AccountDeletionState.ERASED, erased_at=now, user=None
    )


def _accounts_forget(user: User) -> None:
    """What accounts and the libraries it runs on keep about the person outside rows that
    cascade with the user: login attempts and lockout records by address (those for the email
    without the account too), one-time codes sent to it, refresh tokens (kept by simplejwt
    with the link emptied), the admin's change log about the account, and data export files."""
    email = user.email
    addresses = {email, *EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    for address in addresses:
        LoginHistory.objects.filter(email__iexact=address).delete()
        OneTimeCode.objects.filter(email__iexact=address).delete()
        for model in (AccessAttempt, AccessLog, AccessFailureLog):
            model.objects.filter(username__iexact=address).delete()
    LoginHistory.objects.filter(user=user).delete()
    OutstandingToken.objects.filter(user=user).delete()
    LogEntry.objects.filter(
        content_type=ContentType.objects.get_for_model(User), object_id=str(user.pk)
    ).delete()
    for export in DataExport.objects.filter(user=user).exclude(file=""):
        export.file.delete(save=False)


def _mail(user: User, kind: MailKind, context: dict[str, str]) -> None:
    account_mail_on_commit(
        to_email=user.email,
        language=user_preferred_language(user=user) or settings.LANGUAGE_CODE,
        kind=kind,
        context={"name": user.first_name or user.username, **context},
    )
