"""Every write of the accounts domain: registration, login, tokens and sign-ins, password,
access flags, profile.

Ending credentials (logout, `sign_in_revoke`, password change, `user_access_changed`) records an
`accounts.events` event in the same transaction: the realtime app hears it after commit and
closes the sockets that no longer hold (`realtime.subscribers`)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from axes.handlers.proxy import AxesProxyHandler
from axes.utils import reset as axes_reset
from django.contrib.auth import authenticate, password_validation
from django.contrib.auth.signals import user_logged_in
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import IntegrityError, transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from studymate_api.core.errors import (
    AccountLocked,
    AuthenticationFailed,
    ValidationFailed,
    validation_failed,
)
from studymate_api.core.requests import client_ip, user_agent
from studymate_api.cqrs import record_event

from ..caching import profile_invalidate_on_commit
from ..events import (
    PASSWORD_CHANGED,
    SIGNED_OUT,
    USER,
    USER_ACCESS_CHANGED,
    PasswordChangedPayload,
    SignedOutPayload,
    UserAccessChangedPayload,
)
from ..models import LoginHistory, User, UserProfile
from ..selectors import user_email_taken, user_find_by_email, username_taken
from ..tokens import (
    credentials_changed_on_commit,
    password_claim_matches,
    sign_in_new_id,
    sign_in_refresh_token,
    sign_in_remember_revoked,
    sign_in_revoked,
    token_sid,
)

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


def user_login(*, request: HttpRequest, email: str, password: str) -> User:
    """Checks the lock first: a locked account is refused even with the right password.

    Failures are counted by django-axes through Django's `user_login_failed` signal; a success
    sends `user_logged_in`, which resets the count and stamps `last_login`.
    """
    email = normalize_email(email)
    if AxesProxyHandler.is_locked(request, {"email": email}):
        _record_login(request, email=email, success=False, reason="locked")
        raise AccountLocked()
    user = authenticate(request, email=email, password=password)
    if not isinstance(user, User):
        _record_login(request, email=email, success=False, reason="invalid_credentials")
        if getattr(request, "axes_locked_out", False):
            raise AccountLocked()  # this failure was the one that reached the limit
        raise AuthenticationFailed(INVALID_CREDENTIALS)
    user_logged_in.send(sender=User, request=request, user=user)
    _record_login(request, email=email, success=True, user=user)
    return user


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
    """Lifts a lockout before its cool-off ends; returns how many failure records were removed."""
    return int(axes_reset(username=user.email))


# --- tokens -----------------------------------------------------------------------------------


def tokens_issue(*, user: User, sid: str | None = None) -> TokenPair:
    """A token pair of the sign-in `sid`; a new sign-in without it (login, registration)."""
    refresh = sign_in_refresh_token(user, sid=sid or sign_in_new_id())
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def tokens_refresh(*, refresh: str) -> TokenPair:
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
        return tokens_issue(user=user, sid=sid)


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


@transaction.atomic
def sign_in_revoke(*, user: User, sid: str) -> int:
    """Ends one sign-in of `user` as logout does, without its refresh token (the sessions API):
    its refresh tokens are blacklisted, its access tokens refused, its sockets closed. Returns
    how many refresh tokens it ended; 0 (nothing recorded) when the sign-in is not the user's
    or has already ended."""
    _lock_user(user.pk)  # see tokens_refresh: a rotation of this sign-in finishes first or fails
    live = OutstandingToken.objects.filter(
        user=user, blacklistedtoken__isnull=True, expires_at__gt=timezone.now()
    ).only("id", "token")
    ended = [outstanding for outstanding in live if _stored_sid(outstanding.token) == sid]
    if not ended:
        return 0
    rows = [BlacklistedToken(token=outstanding) for outstanding in ended]
    BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    _sign_in_ended(user_id=user.pk, sid=sid)
    return len(ended)


def _sign_in_ended(*, user_id: int, sid: str | None) -> None:
    if sid is not None:
        # Registered before the event's publication (after-commit hooks run in order): a socket
        # re-checking its sign-in must find it ended.
        transaction.on_commit(lambda: sign_in_remember_revoked(sid))
    payload: SignedOutPayload = {"user_id": user_id, "sid": sid}
    record_event(aggregate_type=USER, aggregate_id=user_id, event_type=SIGNED_OUT, payload=payload)


def _stored_sid(raw: str) -> str | None:
    """The sign-in id in a refresh token read back from the outstanding-token table (ours: no
    signature or expiry check needed)."""
    try:
        return token_sid(RefreshToken(raw, verify=False))  # type: ignore[arg-type]
    except TokenError:
        return None


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


@transaction.atomic
def user_password_change(*, user: User, old_password: str, new_password: str) -> None:
    """Sets a new password and revokes every refresh token of the user.

    Access tokens carry a hash of the password (simplejwt's revoke claim), so they stop
    working at the same moment; open sockets close on PasswordChanged.
    """
    if not user.check_password(old_password):
        raise validation_failed("old_password", _("The current password is not correct."))
    _check_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user=user)
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
