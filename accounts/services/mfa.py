"""Two-factor authentication: TOTP with recovery codes, for anyone; the login's second step.

allauth.mfa carries the parts that are easy to get subtly wrong, and we use them as they are: the
`Authenticator` rows (one TOTP and one recovery-code set per user, a unique constraint), the
RFC 6238 arithmetic (`validate_totp_code`, `TOTP.activate`), the recovery codes (ten codes derived
from one seed, used ones kept as a bit mask under a row lock: `RecoveryCodes`) and TOTP replay
protection: `TOTP.validate_code` marks an accepted code in the cache (`cache.add`) for the whole
window in which it is valid, so the same code is refused a second time, in any process that
shares the cache. Its adapter's `encrypt`/`decrypt` hook is filled in below: TOTP secrets and the
recovery-code seed are stored encrypted. allauth's own flows and views are not used: they keep
state in the Django session, which the API (JWT) has none of.

What is ours:
- a set-up in progress: the new secret, encrypted, in the cache for ACCOUNTS_MFA_SETUP_SECONDS
  until a code from the authenticator app confirms it (`totp_setup_begin`/`totp_setup_confirm`);
- the login's second step (`mfa_login_begin`/`mfa_login_complete`). The mfa_token is 32 random
  bytes; the cache holds, under its SHA-256 (the token itself is stored nowhere), the user, a
  fingerprint of the client that passed the password (address and user agent) and of the user's
  password hash, for ACCOUNTS_MFA_LOGIN_TOKEN_SECONDS. It works once (a `cache.add` claim), only
  from that client, only while the password is unchanged and the account active, and dies after
  ACCOUNTS_MFA_LOGIN_ATTEMPTS wrong codes. An opaque token rather than a signed one: the cache
  entry is needed anyway (single use, attempt count), and the token then reveals nothing;
- the guess limit: every wrong second-factor code or password (login step, turning TOTP off,
  new recovery codes, the admin's login) counts per account in a fixed window; past
  ACCOUNTS_MFA_FAILURE_LIMIT every code is refused (403 `account_locked`, `Retry-After`) until
  the window ends. A password alone must not buy unlimited guesses at a 6-digit code: the login's
  first step resets django-axes' count on success, so axes alone would not hold. Wrong codes at
  login are also sent as Django's `user_login_failed`, so the lockout counts them like wrong
  passwords, and recorded in the login history.

The cache is required: when it fails, these operations answer 503 instead of skipping a check.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import time
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Final

from allauth.mfa.adapter import DefaultMFAAdapter, get_adapter
from allauth.mfa.models import Authenticator
from allauth.mfa.recovery_codes.internal.auth import RecoveryCodes
from allauth.mfa.totp.internal.auth import TOTP, generate_totp_secret
from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.contrib.auth.signals import user_login_failed
from django.core.cache import cache
from django.db import transaction
from django.http import HttpRequest
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext_lazy as _

from studymate_api.cache.guard import BACKEND_ERRORS
from studymate_api.core.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    ServiceUnavailable,
    ValidationFailed,
    validation_failed,
)
from studymate_api.core.requests import client_ip, user_agent

from ..models import LoginHistory, User

INVALID_CODE = _("The code is not correct, or it was already used.")
INVALID_PASSWORD = _("The password is not correct.")
MFA_TOKEN_INVALID = _(
    "The sign-in has expired or was already completed. Sign in with your password again."
)
MFA_TOKEN_EXHAUSTED = _("Too many wrong codes. Sign in with your password again.")
TOO_MANY_FAILURES = _("Too many wrong codes for this account. Try again later.")
TOTP_ALREADY_ON = _("Two-factor authentication is already on.")
TOTP_NOT_ON = _("Two-factor authentication is not on.")
NO_SETUP = _("No set-up in progress, or it expired: start the set-up again.")
PASSWORD_OR_CODE = _("Send your password or a code from your authenticator app.")

TOTP_TYPE: Final = "totp"
RECOVERY_CODES_TYPE: Final = "recovery_codes"
_SETUP_PREFIX: Final = "accounts_mfa_setup"
_LOGIN_PREFIX: Final = "accounts_mfa_login"
_FAILURES_PREFIX: Final = "accounts_mfa_failures"
_KEY_SALT: Final = "accounts.services.mfa"


# --- allauth's adapter: secrets encrypted at rest ----------------------------------------------


class EncryptingMFAAdapter(DefaultMFAAdapter):  # type: ignore[misc]
    """allauth.mfa's adapter (MFA_ADAPTER) with its encryption hook filled in: TOTP secrets and
    recovery-code seeds are stored as Fernet tokens (AES-128-CBC + HMAC-SHA256), under a key
    derived from SECRET_KEY. SECRET_KEY_FALLBACKS decrypt too, so rotating SECRET_KEY the way
    Django documents keeps every authenticator working; a database dump alone reveals no
    secret."""

    def encrypt(self, text: str) -> str:
        return _fernet().encrypt(text.encode()).decode()

    def decrypt(self, encrypted_text: str) -> str:
        return _fernet().decrypt(encrypted_text.encode()).decode()


def _fernet() -> MultiFernet:
    keys = [settings.SECRET_KEY, *settings.SECRET_KEY_FALLBACKS]
    return MultiFernet([Fernet(_fernet_key(key)) for key in keys])


def _fernet_key(secret: str | bytes) -> bytes:
    digest = salted_hmac(_KEY_SALT, "mfa-secrets", secret=secret, algorithm="sha256").digest()
    return base64.urlsafe_b64encode(digest)


# --- reads ---------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MfaStatus:
    enabled: bool
    created_at: datetime | None
    last_used_at: datetime | None
    recovery_codes_left: int


def totp_authenticator(*, user: User) -> Authenticator | None:
    return Authenticator.objects.filter(user_id=user.pk, type=TOTP_TYPE).first()


def mfa_enabled(*, user: User) -> bool:
    return bool(Authenticator.objects.filter(user_id=user.pk, type=TOTP_TYPE).exists())


def totp_is_current(*, user: User, authenticator_id: int) -> bool:
    """Whether `authenticator_id` is still the user's TOTP (not turned off and set up again)."""
    found = Authenticator.objects.filter(pk=authenticator_id, user_id=user.pk, type=TOTP_TYPE)
    return bool(found.exists())


def mfa_status(*, user: User) -> MfaStatus:
    rows = {row.type: row for row in Authenticator.objects.filter(user_id=user.pk)}
    totp = rows.get(TOTP_TYPE)
    if totp is None:
        return MfaStatus(enabled=False, created_at=None, last_used_at=None, recovery_codes_left=0)
    recovery = rows.get(RECOVERY_CODES_TYPE)
    left = len(RecoveryCodes(recovery).get_unused_codes()) if recovery is not None else 0
    return MfaStatus(
        enabled=True,
        created_at=totp.created_at,
        last_used_at=totp.last_used_at,
        recovery_codes_left=left,
    )


# --- set-up ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class TotpSetup:
    secret: str
    otpauth_uri: str
    qr_code_svg: str
    expires_in: int


def totp_setup_begin(*, user: User, keep_pending: bool = False) -> TotpSetup:
    """Starts a set-up: a new secret for the authenticator app, nothing active yet. Starting
    again replaces the secret, unless `keep_pending` (a page reloaded) and one is waiting."""
    if mfa_enabled(user=user):
        raise Conflict(TOTP_ALREADY_ON)
    adapter = get_adapter()
    seconds = settings.ACCOUNTS_MFA_SETUP_SECONDS
    with _cache_required():
        secret = _pending_secret(user) if keep_pending else None
        if secret is None:
            secret = generate_totp_secret()
            cache.set(_setup_key(user), adapter.encrypt(secret), seconds)
    uri = str(adapter.build_totp_url(user, secret))
    return TotpSetup(
        secret=secret,
        otpauth_uri=uri,
        qr_code_svg=str(adapter.build_totp_svg(uri)),
        expires_in=seconds,
    )


def totp_setup_confirm(*, user: User, code: str) -> tuple[Authenticator, list[str]]:
    """Activates the set-up with a current code from the app (which is then used: it cannot sign
    in again). Answers the TOTP authenticator and the recovery codes, the only time they are
    shown in full."""
    with _cache_required():
        secret = _pending_secret(user)
    with transaction.atomic():
        _lock_user(user)  # two confirmations at once: the second finds TOTP on
        if mfa_enabled(user=user):
            raise Conflict(TOTP_ALREADY_ON)
        if secret is None:
            raise Conflict(NO_SETUP)
        totp = TOTP.activate(user, secret)
        with _cache_required():
            valid = totp.validate_code(code)
        if not valid:
            raise validation_failed("code", INVALID_CODE)  # rolls the activation back
        codes = _recovery_codes_renew(user)
        transaction.on_commit(lambda: _forget_setup(user))
    return totp.instance, codes


def _pending_secret(user: User) -> str | None:
    stored = cache.get(_setup_key(user))
    return None if stored is None else str(get_adapter().decrypt(stored))


def _forget_setup(user: User) -> None:
    # Best effort: with TOTP on, the waiting secret can no longer be confirmed; it expires anyway.
    with suppress(*BACKEND_ERRORS):
        cache.delete(_setup_key(user))


def _setup_key(user: User) -> str:
    return f"{_SETUP_PREFIX}:{user.pk}"


def _recovery_codes_renew(user: User) -> list[str]:
    Authenticator.objects.filter(user_id=user.pk, type=RECOVERY_CODES_TYPE).delete()
    return list(RecoveryCodes.activate(user).generate_codes())


# --- turning off, new recovery codes -----------------------------------------------------------


def totp_disable(*, request: HttpRequest, user: User, password: str = "", code: str = "") -> None:
    """Turns two-factor authentication off with the password or a current TOTP code; the
    recovery codes go with it."""
    totp = totp_authenticator(user=user)
    if totp is None:
        raise Conflict(TOTP_NOT_ON)
    if not password and not code:
        raise validation_failed("password", PASSWORD_OR_CODE)
    _refuse_while_limited(user)
    if password:
        if not user.check_password(password):
            _second_factor_failed(request, user)
            raise validation_failed("password", INVALID_PASSWORD)
    elif not _totp_valid(totp, code):
        _second_factor_failed(request, user)
        raise validation_failed("code", INVALID_CODE)
    with transaction.atomic():
        _lock_user(user)
        Authenticator.objects.filter(
            user_id=user.pk, type__in=(TOTP_TYPE, RECOVERY_CODES_TYPE)
        ).delete()


def recovery_codes_regenerate(*, request: HttpRequest, user: User, code: str) -> list[str]:
    """New recovery codes for a current TOTP code; every earlier recovery code stops working."""
    totp = totp_authenticator(user=user)
    if totp is None:
        raise Conflict(TOTP_NOT_ON)
    _refuse_while_limited(user)
    if not _totp_valid(totp, code):
        _second_factor_failed(request, user)
        raise validation_failed("code", INVALID_CODE)
    with transaction.atomic():
        _lock_user(user)
        return _recovery_codes_renew(user)


# --- a second factor ---------------------------------------------------------------------------


def second_factor_verify(*, request: HttpRequest, user: User, code: str) -> Authenticator:
    """Checks a TOTP code or an unused recovery code (which is then used up) of `user`; answers
    the user's TOTP authenticator. A wrong code counts toward the account's limit and the
    lockout, and is a 400 on `code`; past the limit, 403 `account_locked`."""
    _refuse_while_limited(user)
    totp = totp_authenticator(user=user)
    if totp is not None and (_totp_valid(totp, code) or _recovery_code_valid(user, code)):
        return totp
    _second_factor_failed(request, user)
    raise validation_failed("code", INVALID_CODE)


def _totp_valid(totp: Authenticator, code: str) -> bool:
    with _cache_required():
        return bool(TOTP(totp).validate_code(code.strip()))


def _recovery_code_valid(user: User, code: str) -> bool:
    recovery = Authenticator.objects.filter(user_id=user.pk, type=RECOVERY_CODES_TYPE).first()
    if recovery is None or not RecoveryCodes(recovery).validate_code(code.strip()):
        return False
    recovery.record_usage()
    return True


def _refuse_while_limited(user: User) -> None:
    window = settings.ACCOUNTS_MFA_FAILURE_WINDOW_SECONDS
    key, ends_in = _failures_window(user, window)
    with _cache_required():
        failures = int(cache.get(key, 0))
    if failures >= settings.ACCOUNTS_MFA_FAILURE_LIMIT:
        raise AccountLocked(TOO_MANY_FAILURES, headers={"Retry-After": str(ends_in)})


def _second_factor_failed(request: HttpRequest, user: User) -> None:
    window = settings.ACCOUNTS_MFA_FAILURE_WINDOW_SECONDS
    key, ends_in = _failures_window(user, window)
    with _cache_required():
        cache.add(key, 0, ends_in + 1)
        cache.incr(key)
    # The lockout (django-axes, or whatever hears Django's signal) counts it like a wrong password.
    user_login_failed.send(sender=__name__, credentials={"email": user.email}, request=request)


def _failures_window(user: User, window: int) -> tuple[str, int]:
    now = time.time()
    index = int(now // window)
    ends_in = max(1, int((index + 1) * window - now) + 1)
    return f"{_FAILURES_PREFIX}:{user.pk}:{index}", ends_in


# --- the login's second step -------------------------------------------------------------------


def mfa_login_begin(*, request: HttpRequest, user: User) -> str:
    """After the right password of a user with TOTP on: the token for `mfa_login_complete`."""
    token = secrets.token_urlsafe(32)
    state = {
        "user_id": user.pk,
        "client": _client_fingerprint(request),
        "password": _password_fingerprint(user),
        # Inactive here only while a deletion is pending (such a login may cancel it): the
        # password step decided; a deactivation in between ends the token.
        "active": user.is_active,
    }
    seconds = settings.ACCOUNTS_MFA_LOGIN_TOKEN_SECONDS
    key = _login_key(token)
    with _cache_required():
        cache.set(f"{key}:attempts", 0, seconds)
        cache.set(key, state, seconds)
    return token


def mfa_login_complete(*, request: HttpRequest, mfa_token: str, code: str) -> User:
    """The user of `mfa_token` when `code` is a current TOTP code or an unused recovery code.

    A wrong code is a 400 on `code` (the client asks again) until the token's attempts run out;
    an unknown, expired, used, exhausted or foreign token is a 401 (sign in again)."""
    key = _login_key(mfa_token)
    with _cache_required():
        state: dict[str, Any] | None = cache.get(key)
    if state is None or not constant_time_compare(state["client"], _client_fingerprint(request)):
        raise AuthenticationFailed(MFA_TOKEN_INVALID)
    user = User.objects.filter(pk=state["user_id"]).first()
    if (
        user is None
        or user.is_active != state["active"]
        or not constant_time_compare(state["password"], _password_fingerprint(user))
    ):
        raise AuthenticationFailed(MFA_TOKEN_INVALID)
    try:
        totp = second_factor_verify(request=request, user=user, code=code)
    except ValidationFailed:
        _record_failure(request, user)
        limit = settings.ACCOUNTS_MFA_LOGIN_ATTEMPTS
        with _cache_required():
            try:
                attempts = cache.incr(f"{key}:attempts")
            except ValueError:  # the count expired a moment before the token: so has the token
                attempts = limit
            if attempts >= limit:
                cache.delete(key)
                raise AuthenticationFailed(MFA_TOKEN_EXHAUSTED) from None
        raise
    with _cache_required():
        claimed = cache.add(f"{key}:done", True, settings.ACCOUNTS_MFA_LOGIN_TOKEN_SECONDS)
        cache.delete(key)
    if not claimed:  # a concurrent request with the same token got there first
        raise AuthenticationFailed(MFA_TOKEN_INVALID)
    totp.record_usage()
    from . import login_succeeded  # the package's __init__ imports this module

    login_succeeded(request, user)
    return user


def _record_failure(request: HttpRequest, user: User) -> None:
    LoginHistory.objects.create(
        user=user,
        email=user.email[:254],
        ip_address=client_ip(request),
        user_agent=user_agent(request),
        success=False,
        failure_reason="invalid_mfa_code",
    )


def _login_key(token: str) -> str:
    return f"{_LOGIN_PREFIX}:{hashlib.sha256(token.encode()).hexdigest()}"


def _client_fingerprint(request: HttpRequest) -> str:
    seen = f"{client_ip(request) or ''}\n{user_agent(request)}"
    return hashlib.sha256(seen.encode()).hexdigest()


def _password_fingerprint(user: User) -> str:
    return salted_hmac(_KEY_SALT, user.password, algorithm="sha256").hexdigest()


# --- shared ------------------------------------------------------------------------------------


def _lock_user(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).first()


@contextmanager
def _cache_required() -> Iterator[None]:
    """Single use, replay and guess limits live in the cache: without it, refuse (503)."""
    try:
        yield
    except BACKEND_ERRORS:
        raise ServiceUnavailable() from None
