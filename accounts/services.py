"""Every write of the accounts domain: registration, login, tokens, password, profile."""

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

from .models import LoginHistory, User, UserProfile
from .selectors import user_email_taken, user_find_by_email, user_get_active, username_taken

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


def tokens_issue(*, user: User) -> TokenPair:
    refresh = RefreshToken.for_user(user)
    return TokenPair(access=str(refresh.access_token), refresh=str(refresh))


def tokens_refresh(*, refresh: str) -> TokenPair:
    """Rotates a refresh token: the old one is blacklisted and a new pair is issued.

    The blacklist row is unique per token and created (never fetched) under a row lock, so two
    concurrent refreshes with the same token produce at most one new pair.
    """
    token = _verified_refresh(refresh)
    user = _active_token_user(token)
    with transaction.atomic():
        outstanding = _lock_outstanding(token)
        try:
            with transaction.atomic():
                BlacklistedToken.objects.create(token=outstanding)
        except IntegrityError:
            raise AuthenticationFailed(INVALID_REFRESH) from None
        return tokens_issue(user=user)


def tokens_revoke(*, refresh: str) -> None:
    """Logout: the refresh token stops working; a token already revoked is refused."""
    try:
        RefreshToken(refresh).blacklist()  # type: ignore[arg-type]
    except TokenError:
        raise validation_failed("refresh", INVALID_REFRESH) from None


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


def _active_token_user(token: RefreshToken) -> User:
    user = user_get_active(user_id=token.get(jwt_settings.USER_ID_CLAIM))
    if user is None:
        raise AuthenticationFailed(INVALID_REFRESH)
    return user


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
    working at the same moment.
    """
    if not user.check_password(old_password):
        raise validation_failed("old_password", _("The current password is not correct."))
    _check_password(new_password, user=user, field="new_password")
    user.set_password(new_password)
    user.save(update_fields=["password"])
    tokens_revoke_all(user=user)


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
    return user


def user_profile_ensure(*, user: User) -> UserProfile:
    """Users made outside registration (admin, createsuperuser) get their profile on first use."""
    profile, _created = UserProfile.objects.get_or_create(user=user)
    return profile
