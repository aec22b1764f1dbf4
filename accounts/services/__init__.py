"""Every write of the accounts domain: registration, login, tokens and sign-ins, password,
access flags, profile.

Ending credentials (logout, `sign_in_revoke`, password change, `user_access_changed`) records an
`accounts.events` event in the same transaction: the realtime app hears it after commit and
closes the sockets that no longer hold (`realtime.subscribers`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, NamedTuple

from axes.utils import reset as axes_reset
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.signals import user_logged_in, user_login_failed
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from studymate_api.core.errors import (
    AuthenticationFailed,
    ValidationFailed,
    validation_failed,
)
from studymate_api.core.requests import client_ip, user_agent
from studymate_api.cqrs import record_event

from ..caching import profile_invalidate_on_commit
from ..events import (
    PASSWORD_CHANGED,
    USER,
    USER_ACCESS_CHANGED,
    PasswordChangedPayload,
    UserAccessChangedPayload,
)
from ..lockout import lockout_state
from ..mail import AccountMailer as AccountMailer  # the port's side other apps see
from ..mail import MailKind as MailKind
from ..mail import MailNotSent as MailNotSent
from ..mail import account_mail as account_mail
from ..models import LoginHistory, User, UserProfile
from ..selectors import user_email_taken, user_find_by_email, username_taken
from ..tokens import (
    credentials_changed_on_commit,
    password_claim_matches,
    sign_in_new_id,
    sign_in_refresh_token,
    sign_in_revoked,
    token_sid,
)
from .mfa import mfa_enabled
from .sessions import (
    account_unlock_code_send,
    account_unlock_with_code,
    sign_in_end,
    sign_in_start,
    sign_in_touch,
    sign_ins_close,
)
from .sessions import sign_in_revoke as sign_in_revoke  # the sessions API's; callers use this

INVALID_CREDENTIALS = _("Invalid email or password.")
INVALID_REFRESH = _("The refresh token is invalid, expired or already used.")


@dataclass(frozen=True)
class TokenPair:
    access: str
    refresh: str


def normalize_email(email: str) -> str:
    return User.objects.normalize_email(email)


# --- registration -----------------------------------------------------------------------------


def user_register(
    *, email: str, password: str, username: str, first_name: str = "", last_name: str = ""
) -> User:
    email = normalize_email(email)
    user = User(email=email, username=username, first_name=first_name, last_name=last_name)
    _check_unique(user)
    _check_password(password, user=user, field="password")
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
            UserProfile.objects.create(user=user)
    except IntegrityError:
        # Lost a race with a concurrent registration of the same email or username.
        _check_unique(user)
        raise
    # The verification code goes out after commit (imported here: verification imports this).
    from .verification import email_verification_send

    email_verification_send(user=user)
    return user


def _check_unique(user: User) -> None:
    fields: dict[str, list[Any]] = {}
    if user_email_taken(user.email):
        fields["email"] = [_("A user with this email already exists.")]
    if username_taken(user.username):
        fields["username"] = [_("A user with this username already exists.")]
    if fields:
        raise ValidationFailed(fields=fields)


def _check_password(password: str, *, user: User, field: str) -> None:
    try:
        password_validation.validate_password(password, user=user)
    except DjangoValidationError as error:
        raise ValidationFailed(fields={field: list(error.messages)}) from None


# --- login and lockout ------------------------------------------------------------------------


class PasswordSignIn(NamedTuple):
    user: User
    # Two-factor authentication is on: the sign-in completes at the second step
    # (`mfa.mfa_login_complete`), which the client needs an `mfa_token` for.
    second_factor_due: bool


def user_login(
    *, request: HttpRequest, email: str, password: str, unlock_code: str | None = None
) -> PasswordSignIn:
    """Checks the lock first (`accounts.lockout`): a client locked out of the account is refused
    even with the right password, with `Retry-After`; other clients are not.

    An account under attack from many addresses refuses every client without an unlock code,
    with the same answer whatever the password, and mails the code only when the password is
    right (strangers cannot flood the owner's mailbox). `unlock_code` is checked first: a right
    one lifts every lock on the account, then the login goes on as usual.

    Failures are counted by django-axes through Django's `user_login_failed` signal; a success
    is `login_succeeded`, which resets the client's count and stamps `last_login`. With two-factor
    authentication on, the password alone is not a success yet: the second step makes it one.
    """
    email = normalize_email(email)
    if unlock_code:
        account_unlock_with_code(email=email, code=unlock_code)
    state = lockout_state(request, email=email)
    if state.client_locked:
        _record_login(request, email=email, success=False, reason="locked")
        raise state.error()
    # Imported here: `deletion` builds on this module. An account waiting for its erasure is
    # inactive, which `authenticate` refuses; its owner may still sign in, to cancel.
    from .deletion import account_deletion_sign_in

    user = account_deletion_sign_in(email=email, password=password) or authenticate(
        request, email=email, password=password
    )
    if state.under_attack:
        if isinstance(user, User):
            account_unlock_code_send(user=user)
        _record_login(request, email=email, success=False, reason="unlock_required")
        raise state.error()
    if not isinstance(user, User):
        _record_login(request, email=email, success=False, reason="invalid_credentials")
        if getattr(request, "axes_locked_out", False):
            # This failure was the one that reached the limit (and may have made it an attack).
            raise lockout_state(request, email=email).error()
        raise AuthenticationFailed(INVALID_CREDENTIALS)
    if mfa_enabled(user=user):
        return PasswordSignIn(user, second_factor_due=True)
    login_succeeded(request, user)
    return PasswordSignIn(user, second_factor_due=False)


def login_succeeded(request: HttpRequest, user: User) -> None:
    """A sign-in is complete: `user_logged_in` (axes resets the client's failures, Django
    stamps `last_login`) and a successful row of the login history."""
    user_logged_in.send(sender=User, request=request, user=user)
    _record_login(request, email=user.email, success=True, user=user)


def _record_login(
    request: HttpRequest, *, email: str, success: bool, reason: str = "", user: User | None = None
) -> None:
    LoginHistory.objects.create(
        user=user or user_find_by_email(email),
        email=email[:254],
        ip_address=client_ip(request),
        user_agent=user_agent(request),
        success=success,
        failure_reason=reason,
    )


def account_unlock(*, user: User) -> int:
    """Lifts every lockout of the account before its cool-off ends, for every client, an attack
    included (the admin's action, a password reset); returns how many failure records went."""
    return int(axes_reset(username=normalize_email(user.email)))


# --- tokens -----------------------------------------------------------------------------------


def tokens_issue(
    *, user: User, sid: str | None = None, request: HttpRequest | None = None
) -> TokenPair:
    """A token pair of the sign-in `sid` (a rotation: the sign-in is marked used); a new sign-in
    without it (login, registration), recorded with the device and address of `request`."""
    agent = user_agent(request) if request is not None else ""
    address = client_ip(request) if request is not None else None
    if sid is None:
        sid = sign_in_new_id()
        sign_in_start(user=user, sid=sid, user_agent=agent, ip_address=address)
    else:
        sign_in_touch(user=user, sid=sid, user_agent=agent, ip_address=address)
    refresh = sign_in_refresh_token(user, sid=sid)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def tokens_refresh(*, refresh: str, request: HttpRequest | None = None) -> TokenPair:
    """Rotates a refresh token: the old one is blacklisted and a new pair of the same sign-in is
    issued (a token from before sign-in ids starts a new sign-in).

    The blacklist row is unique per token and created (never fetched) under a row lock, so two
    concurrent refreshes with the same token produce at most one new pair. The user row is
    locked first, as `sign_in_revoke` and a password change lock it, so a rotation in flight
    cannot slip a new token past them.
    """
    token = _verified_refresh(refresh)
    with transaction.atomic():
        user = _lock_token_user(token)
        outstanding = _lock_outstanding(token)
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:
            raise AuthenticationFailed(INVALID_REFRESH) from None
        sid = token_sid(token)
        if sign_in_revoked(sid):
            raise AuthenticationFailed(INVALID_REFRESH)
        return tokens_issue(user=user, sid=sid, request=request)


def tokens_revoke(*, refresh: str) -> None:
    """Logout: the refresh token stops working, every access token of its sign-in is refused
    from the moment this commits (`accounts.tokens`), and the sign-in's open sockets close
    (SignedOut). A token already revoked is refused."""
    try:
        token = RefreshToken(refresh)  # type: ignore[arg-type]
    except TokenError:
        raise validation_failed("refresh", INVALID_REFRESH) from None
    with transaction.atomic():
        outstanding = OutstandingToken.objects.filter(jti=token[jwt_settings.JTI_CLAIM]).first()
        if outstanding is None:  # not one of ours
            raise validation_failed("refresh", INVALID_REFRESH)
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:  # a concurrent logout with the same token got there first
            raise validation_failed("refresh", INVALID_REFRESH) from None
        _sign_in_ended(user_id=int(token[jwt_settings.USER_ID_CLAIM]), sid=token_sid(token))


def _sign_in_ended(*, user_id: int, sid: str | None) -> None:
    sign_in_end(user_id=user_id, sid=sid)  # services.sessions: the row, the cache, SignedOut


def tokens_revoke_all(*, user: User) -> int:
    outstanding = OutstandingToken.objects.filter(user=user, blacklistedtoken__isnull=True)
    rows = [BlacklistedToken(token=token) for token in outstanding]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    return len(rows)


def _verified_refresh(raw: str) -> RefreshToken:
    try:
        return RefreshToken(raw)  # type: ignore[arg-type]
    except TokenError:
        raise AuthenticationFailed(INVALID_REFRESH) from None


def _lock_token_user(token: RefreshToken) -> User:
    """The token's user, locked until the transaction ends; refused when inactive or when the
    token predates the current password."""
    user = _lock_user(token.get(jwt_settings.USER_ID_CLAIM))
    if user is None or not user.is_active:
        raise AuthenticationFailed(INVALID_REFRESH)
    if not password_claim_matches(token.get(jwt_settings.REVOKE_TOKEN_CLAIM), user):
        raise AuthenticationFailed(INVALID_REFRESH)
    return user


def _lock_user(user_id: Any) -> User | None:
    return User.objects.select_for_update().filter(pk=user_id).first()


def _lock_outstanding(token: RefreshToken) -> OutstandingToken:
    jti = token[jwt_settings.JTI_CLAIM]
    outstanding = OutstandingToken.objects.select_for_update().filter(jti=jti).first()
    if outstanding is None:
        raise AuthenticationFailed(INVALID_REFRESH)
    return outstanding


# --- password and profile ---------------------------------------------------------------------


def user_password_change(
    *, user: User, old_password: str, new_password: str, request: HttpRequest | None = None
) -> None:
    """Sets a new password and revokes every refresh token of the user.

    Access tokens carry a hash of the password (simplejwt's revoke claim), so they stop
    working at the same moment; open sockets close on PasswordChanged.

    A wrong old password counts as a failed login of the account from the request's client
    (django-axes), and a client locked out of the account is refused (403 `account_locked`)
    before the old password is checked: a stolen access token buys no more guesses than the
    login does. The failure is recorded outside the transaction, so the 400 keeps it.
    """
    email = normalize_email(user.email)
    if request is not None:
        state = lockout_state(request, email=email)
        if state.client_locked:
            raise state.error()
    if not user.check_password(old_password):
        if request is not None:
            user_login_failed.send(sender=__name__, credentials={"email": email}, request=request)
            if getattr(request, "axes_locked_out", False):
                raise lockout_state(request, email=email).error()
        raise validation_failed("old_password", _("The current password is not correct."))
    _check_password(new_password, user=user, field="new_password")
    _password_set(user=user, new_password=new_password)


@transaction.atomic
def _password_set(*, user: User, new_password: str) -> None:
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user=user)
    sign_ins_close(user=user)
    credentials_changed_on_commit(user.pk)
    payload: PasswordChangedPayload = {"user_id": user.pk}
    record_event(
        aggregate_type=USER,
        aggregate_id=user.pk,
        event_type=PASSWORD_CHANGED,
        payload=payload,
        user=user,
    )


def user_access_changed(*, user: User) -> None:
    """Announces that `is_active` or `is_staff` of `user` changed (saved by the caller, in the
    same transaction: the admin's change form). REST reads both flags on every request; open
    sockets re-check them on UserAccessChanged: deactivated closes with 4401, a staff-only socket
    of a user who lost staff with 4403."""
    credentials_changed_on_commit(user.pk)
    payload: UserAccessChangedPayload = {
        "user_id": user.pk,
        "is_active": user.is_active,
        "is_staff": user.is_staff,
    }
    record_event(
        aggregate_type=USER, aggregate_id=user.pk, event_type=USER_ACCESS_CHANGED, payload=payload
    )


PROFILE_USER_FIELDS = ("username", "first_name", "last_name")


@transaction.atomic
def user_profile_update(*, user: User, data: dict[str, Any]) -> User:
    """Updates the learner-editable fields only; the input serializer has refused the rest."""
    profile_data = data.pop("profile", {}) or {}
    new_username = data.get("username")
    if new_username and username_taken(new_username, exclude=user):
        raise validation_failed("username", _("A user with this username already exists."))
    changed = [name for name in PROFILE_USER_FIELDS if name in data]
    for name in changed:
        setattr(user, name, data[name])
    if changed:
        user.save(update_fields=changed)
    profile = user_profile_ensure(user=user)
    for name, value in profile_data.items():
        setattr(profile, name, value)
    if profile_data:
        profile.save(update_fields=[*profile_data, "updated_at"])
        profile_invalidate_on_commit(user.pk)
    return user


def user_profile_ensure(*, user: User) -> UserProfile:
    """Users made outside registration (admin, createsuperuser) get their profile on first use."""
    profile, _created = UserProfile.objects.get_or_create(user=user)
    return profile
