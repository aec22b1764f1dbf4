"""One-time codes, and the flows built on them: email verification, password reset, email
change; plus what an unverified account may not do.

Codes (`code_issue`, `code_consume`) are 6 random digits (`secrets`) mailed to an address. Only
a keyed hash is stored: HMAC-SHA256 under SECRET_KEY (`salted_hmac`), over the purpose, the
address and the code. Not Django's password hasher: a slow hash cannot protect a space of a
million codes (an attacker with the table tries them all anyway), while the key can. Without
SECRET_KEY, a copy of the table tells nothing about any code; and every code dies after
ACCOUNTS_CODE_TTL_MINUTES and ACCOUNTS_CODE_MAX_ATTEMPTS guesses. A fast hash also keeps a
confirmation cheap and the same whatever the address (the code given is hashed before anything
is looked up).

Codes are issued and mailed by a task (`code_send_on_commit` -> `tasks.send_code` ->
`code_send`): the request waits for neither the write nor SMTP, the plaintext never reaches the
broker, and the password reset request does no work that depends on the address at all.
"""

from __future__ import annotations

import datetime
import hmac
import secrets

import structlog
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import salted_hmac
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import Conflict, PermissionDenied, validation_failed
from studymate_api.cqrs import record_event

from ..caching import profile_invalidate_on_commit
from ..events import PASSWORD_CHANGED, USER, PasswordChangedPayload
from ..lockout import lockout_state
from ..mail import MailKind, account_mail, account_mail_on_commit
from ..models import Language, User
from ..models.codes import CodePurpose, OneTimeCode
from ..selectors import (
    user_email_taken,
    user_find_by_email,
    user_may,
    user_preferred_language,
    user_profile_language,
)
from ..tokens import credentials_changed_on_commit
from . import _check_password as check_password
from . import account_unlock
from .sessions import sign_ins_end_all

logger = structlog.get_logger(__name__)

DEFAULT_LANGUAGE = Language.KOREAN

CODE_DIGITS = 6
_HASH_SALT = "accounts.one_time_code"


def _code_hash(*, purpose: str, email: str, code: str) -> str:
    value = f"{purpose}:{email}:{code}"
    return salted_hmac(_HASH_SALT, value, algorithm="sha256").hexdigest()


def _new_code() -> str:
    return f"{secrets.randbelow(10**CODE_DIGITS):0{CODE_DIGITS}d}"


def code_ttl_minutes() -> int:
    return int(settings.ACCOUNTS_CODE_TTL_MINUTES)


def code_issue(*, purpose: CodePurpose, email: str, user: User | None = None) -> str:
    """A new code for `purpose` sent to `email`; returns the plaintext (to mail, then forget).

    Earlier codes of the same purpose for the same address, or for the same user when given
    (an email change to another address), die: only the newest code works."""
    email = User.objects.normalize_email(email)
    earlier = Q(purpose=purpose, email=email)
    if user is not None:
        earlier |= Q(purpose=purpose, user=user)
    OneTimeCode.objects.filter(earlier).delete()
    code = _new_code()
    OneTimeCode.objects.create(
        purpose=purpose,
        email=email,
        user=user,
        code_hash=_code_hash(purpose=purpose, email=email, code=code),
        expires_at=timezone.now() + datetime.timedelta(minutes=code_ttl_minutes()),
    )
    return code


def code_consume(*, purpose: CodePurpose, email: str, code: str) -> OneTimeCode | None:
    """The live code of `purpose` for `email` if `code` is it, now used; else None.

    Every try counts against ACCOUNTS_CODE_MAX_ATTEMPTS, the right one included, with a
    conditional UPDATE: concurrent guesses cannot exceed the limit, and the code is used once
    even by two concurrent right answers. The comparison is constant-time.

    Call it outside a transaction that may roll back (before the write it guards, not inside
    it): a wrong guess must stay counted when the caller then raises.
    """
    email = User.objects.normalize_email(email)
    now = timezone.now()
    given = _code_hash(purpose=purpose, email=email, code=str(code).strip())
    live = OneTimeCode.objects.filter(
        purpose=purpose, email=email, used_at__isnull=True, expires_at__gt=now
    )
    candidate = live.order_by("-created_at", "-id").first()
    if candidate is None:
        hmac.compare_digest(given, given)  # the same work as a comparison
        return None
    counted = live.filter(pk=candidate.pk, attempts__lt=settings.ACCOUNTS_CODE_MAX_ATTEMPTS).update(
        attempts=F("attempts") + 1
    )
    if counted != 1 or not hmac.compare_digest(candidate.code_hash, given):
        return None
    if live.filter(pk=candidate.pk).update(used_at=now) != 1:
        return None  # a concurrent request used it first
    candidate.used_at = now
    candidate.attempts += 1
    return candidate


def codes_purge() -> int:
    """Deletes expired and used codes (a bounded batch); returns how many."""
    now = timezone.now()
    dead = OneTimeCode.objects.filter(Q(expires_at__lte=now) | Q(used_at__isnull=False))
    ids = list(dead.values_list("pk", flat=True)[: settings.ACCOUNTS_CODE_PURGE_BATCH_SIZE])
    if not ids:
        return 0
    deleted, _by_model = OneTimeCode.objects.filter(pk__in=ids).delete()
    return int(deleted)


# --- sending codes ----------------------------------------------------------------------------

MAIL_KIND: dict[str, MailKind] = {
    CodePurpose.VERIFY_EMAIL: MailKind.EMAIL_VERIFICATION,
    CodePurpose.RESET_PASSWORD: MailKind.PASSWORD_RESET,
    CodePurpose.CHANGE_EMAIL: MailKind.EMAIL_CHANGE_CODE,
    CodePurpose.UNLOCK_ACCOUNT: MailKind.ACCOUNT_UNLOCK,
}


def code_send_on_commit(*, purpose: CodePurpose, email: str, user_id: int | None) -> None:
    """After commit, a task issues the code and mails it (`code_send`): the request waits for
    neither SMTP nor the code's write, and the plaintext never leaves the worker. A broker that
    refuses (or a failing send, when tasks run in-process) is logged: the learner asks again."""

    def enqueue() -> None:
        from ..tasks import send_code  # the task module imports this one

        try:
            send_code.delay(str(purpose), email, user_id)
        except Exception:
            logger.warning("accounts.code_enqueue_failed", purpose=str(purpose), exc_info=True)

    transaction.on_commit(enqueue)


def code_send(*, purpose: str, email: str, user_id: int | None) -> bool:
    """The task's work: issue a code of `purpose` for `email` and mail it to the account's
    language; False (nothing issued, nothing sent) when no active account fits: an unknown
    address asking for a reset, an address no longer the account's, one already verified."""
    purpose = CodePurpose(purpose)
    email = User.objects.normalize_email(email)
    user = _code_recipient(purpose=purpose, email=email, user_id=user_id)
    if user is None:
        return False
    code = code_issue(purpose=purpose, email=email, user=user)
    account_mail.get().send(
        to_email=email,
        language=user_profile_language(user) or DEFAULT_LANGUAGE,
        kind=MAIL_KIND[purpose],
        context={"name": display_name(user), "code": code, "minutes": code_ttl_minutes()},
    )
    return True


def _code_recipient(*, purpose: CodePurpose, email: str, user_id: int | None) -> User | None:
    users = User.objects.select_related("profile").filter(is_active=True)
    if user_id is None:
        user = users.filter(email__iexact=email).first()
    else:
        user = users.filter(pk=user_id).first()
    if user is None:
        return None
    if purpose == CodePurpose.CHANGE_EMAIL:
        # The new address: still free when the code goes out (checked again on confirm).
        return None if user_email_taken(email) else user
    if user.email != email:
        return None  # the account's address changed since
    if purpose == CodePurpose.VERIFY_EMAIL and user.email_verified:
        return None
    return user


def display_name(user: User) -> str:
    """How account mail greets the learner (as notifications greet them)."""
    return user.first_name or user.username or user.email.split("@")[0]


# --- email verification -----------------------------------------------------------------------

INVALID_CODE = _("The code is wrong or has expired. Ask for a new one.")


def email_verification_send(*, user: User) -> None:
    """Mails a verification code to the account's address after commit (registration, resend);
    nothing for an address already verified."""
    if not user.email_verified:
        code_send_on_commit(purpose=CodePurpose.VERIFY_EMAIL, email=user.email, user_id=user.pk)


def email_verify(*, user: User, code: str) -> None:
    """Marks the account's address verified when `code` is the live code sent to it. An
    address already verified needs no code."""
    if user.email_verified:
        return
    used = code_consume(purpose=CodePurpose.VERIFY_EMAIL, email=user.email, code=code)
    if used is None or used.user_id != user.pk:
        raise validation_failed("code", INVALID_CODE)
    User.objects.filter(pk=user.pk).update(email_verified=True)
    user.email_verified = True
    profile_invalidate_on_commit(user.pk)


# --- what an unverified account may not do ----------------------------------------------------

VERIFY_FIRST = _("Verify your email address first: enter the code we sent you.")


def user_ensure_may(*, user: User, action: str) -> None:
    """Raises 403 `permission_denied` when `user` may not do `action` yet
    (`selectors.user_may`: ACCOUNTS_UNVERIFIED_MAY_NOT)."""
    if not user_may(user, action):
        raise PermissionDenied(VERIFY_FIRST)


# --- password reset ---------------------------------------------------------------------------


def password_reset_request(*, email: str) -> None:
    """Sends a reset code to `email` if an active account has it, and does exactly the same
    here whether or not one does: the account is looked up in the task, not in the request, so
    neither the answer nor its timing tells whether the address is known."""
    code_send_on_commit(purpose=CodePurpose.RESET_PASSWORD, email=email, user_id=None)


def password_reset_confirm(*, email: str, code: str, new_password: str) -> User:
    """Sets a new password with a reset code. Every sign-in of the account ends (refresh and
    access tokens, sockets), its address counts as verified (the code reached it) and a lockout
    of the account is lifted.

    Unknown address, wrong or expired code: the same 400 on `code`. The new password is
    judged before the code is spent (a weak one is a 400 on `new_password` and the code still
    works); for an unknown address it is judged against the address alone, so that answer does
    not tell whether the address is known either."""
    email = User.objects.normalize_email(email)
    user = user_find_by_email(email)
    check_password(new_password, user=user or User(email=email), field="new_password")
    used = code_consume(purpose=CodePurpose.RESET_PASSWORD, email=email, code=code)
    if used is None or user is None or used.user_id != user.pk or not user.is_active:
        raise validation_failed("code", INVALID_CODE)
    with transaction.atomic():
        user.set_password(new_password)
        user.email_verified = True
        user.save(update_fields=["password", "email_verified"])
        password_changed(user=user)
    account_unlock(user=user)
    return user


def password_changed(*, user: User) -> None:
    """Every sign-in of `user` ends after a password was set without the old one: refresh
    tokens blacklisted, access tokens refused from commit on, sockets closed (SignedOut per
    sign-in, and PasswordChanged)."""
    sign_ins_end_all(user=user)
    credentials_changed_on_commit(user.pk)
    payload: PasswordChangedPayload = {"user_id": user.pk}
    record_event(
        aggregate_type=USER,
        aggregate_id=user.pk,
        event_type=PASSWORD_CHANGED,
        payload=payload,
        user=user,
    )


# --- email change -----------------------------------------------------------------------------

WRONG_PASSWORD = _("The password is not correct.")
EMAIL_TAKEN = _("A user with this email already exists.")
SAME_EMAIL = _("This is already the email address of your account.")
EMAIL_TAKEN_SINCE = _("Another account took this email address meanwhile. Choose another one.")


def email_change_request(
    *, user: User, new_email: str, password: str, request: HttpRequest | None = None
) -> None:
    """Sends a code to `new_email`; the account keeps its address until the code comes back
    (`email_change_confirm`). A new request replaces the earlier one.

    Needs the password, judged as a password change judges the old one: a wrong one counts as a
    failed login of the account from the request's client (django-axes), and a client locked
    out of the account is refused first (403 `account_locked`), so a stolen access token buys
    no extra guesses here either."""
    new_email = User.objects.normalize_email(new_email)
    if request is not None:
        state = lockout_state(request, email=user.email)
        if state.client_locked:
            raise state.error()
    if not user.check_password(password):
        if request is not None:
            credentials = {"email": user.email}
            user_login_failed.send(sender=__name__, credentials=credentials, request=request)
            if getattr(request, "axes_locked_out", False):
                raise lockout_state(request, email=user.email).error()
        raise validation_failed("password", WRONG_PASSWORD)
    if new_email == user.email:
        raise validation_failed("new_email", SAME_EMAIL)
    if user_email_taken(new_email):
        raise validation_failed("new_email", EMAIL_TAKEN)
    code_send_on_commit(purpose=CodePurpose.CHANGE_EMAIL, email=new_email, user_id=user.pk)


def email_change_confirm(*, user: User, code: str) -> User:
    """Makes the address the last code was sent to the account's, verified, when `code` is
    that code. The old address then gets a notice (`email_changed_notice`): a change made by
    someone else with the session and the password is not silent to the owner.

    Two accounts confirming the same new address: the unique email column decides, and the
    loser gets a 409 `conflict` (its code is spent: it asks again with another address)."""
    pending = _pending_email(user=user, purpose=CodePurpose.CHANGE_EMAIL)
    used = None
    if pending is not None:
        used = code_consume(purpose=CodePurpose.CHANGE_EMAIL, email=pending, code=code)
    if used is None or used.user_id != user.pk:
        raise validation_failed("code", INVALID_CODE)
    old_email = user.email
    try:
        with transaction.atomic():
            if user_email_taken(used.email):
                raise Conflict(EMAIL_TAKEN_SINCE)
            user.email = used.email
            user.email_verified = True
            user.save(update_fields=["email", "email_verified"])
            profile_invalidate_on_commit(user.pk)
    except IntegrityError:
        user.email = old_email
        raise Conflict(EMAIL_TAKEN_SINCE) from None
    account_mail_on_commit(
        to_email=old_email,
        language=user_preferred_language(user=user) or DEFAULT_LANGUAGE,
        kind=MailKind.EMAIL_CHANGED_NOTICE,
        context={"name": display_name(user), "new_email": user.email},
    )
    return user


def _pending_email(*, user: User, purpose: CodePurpose) -> str | None:
    """The address of the user's live code of `purpose` (an email change: the new address)."""
    live = OneTimeCode.objects.filter(
        user=user, purpose=purpose, used_at__isnull=True, expires_at__gt=timezone.now()
    )
    return live.order_by("-created_at", "-id").values_list("email", flat=True).first()
