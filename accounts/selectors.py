"""Every read of the accounts domain."""

from __future__ import annotations

from typing import Any

from allauth.mfa.models import Authenticator
from allauth.socialaccount.models import SocialAccount
from django.conf import settings
from django.db.models import QuerySet
from django.utils import timezone
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from studymate_api.core.errors import NotFound
from studymate_api.core.models import AIUsage

from .authentication import AccessTokenAuthentication
from .models import LoginHistory, User, UserProfile
from .models.lifecycle import AccountDeletion, AccountDeletionState, DataExport
from .models.sessions import SignIn
from .tokens import AccessGrant as AccessGrant  # other apps take the type from here
from .tokens import password_claim_matches, sign_in_revoked, token_sid

# Tokens are a few hundred bytes; anything far larger is garbage, refused before decoding.
_MAX_TOKEN_LENGTH = 4096


def user_find_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first()


def user_email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def username_taken(username: str, *, exclude: User | None = None) -> bool:
    users = User.objects.filter(username__iexact=username)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def user_may(user: User, action: str) -> bool:
    """Whether `user` may do `action` ("pay", "invite"...) as far as the account goes: an
    account whose email is not verified may not do what ACCOUNTS_UNVERIFIED_MAY_NOT lists.
    `services.verification.user_ensure_may` raises the 403 for it."""
    return bool(user.email_verified) or action not in settings.ACCOUNTS_UNVERIFIED_MAY_NOT


def user_get(*, user_id: int) -> User | None:
    return User.objects.filter(pk=user_id).first()


def user_preferred_language(*, user: User) -> str | None:
    """The language of the user's profile; None without a profile."""
    languages = UserProfile.objects.filter(user=user).values_list("preferred_language", flat=True)
    return languages.first()


def user_profile_language(user: User) -> str | None:
    """The language of the user's profile, read through `user.profile`: no query when the
    caller loaded the user with select_related("profile"); None without a profile or language."""
    try:
        return user.profile.preferred_language or None
    except UserProfile.DoesNotExist:
        return None


def user_get_active(*, user_id: str | int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


def user_get_with_profile(*, user_id: int) -> User:
    return User.objects.select_related("profile").get(pk=user_id)


def login_history_list(*, user: User) -> QuerySet[LoginHistory]:
    return LoginHistory.objects.filter(user=user).order_by("-created_at", "-id")


# --- access tokens ----------------------------------------------------------------------------


def access_grant_for_token(raw: str) -> AccessGrant | None:
    """What the access token grants, exactly as REST judges it (`AccessTokenAuthentication`:
    signature, expiry, type, active user, password claim, sign-in not ended); None if refused."""
    if len(raw) > _MAX_TOKEN_LENGTH:
        return None
    authentication = AccessTokenAuthentication()
    try:
        token = authentication.get_validated_token(raw.encode())
        user = authentication.get_user(token)
    except AuthenticationFailed:  # simplejwt's InvalidToken is one too
        return None
    if not isinstance(user, User):  # AUTH_USER_MODEL is User; this tells the type checker
        return None
    return AccessGrant(
        user=user,
        expires_at=int(token["exp"]),
        sid=token_sid(token),
        password_claim=token.get(jwt_settings.REVOKE_TOKEN_CLAIM),
    )


def access_grant_holder(grant: AccessGrant) -> User | None:
    """The grant's user as stored now, if the grant still holds (the user is active, the
    password is the one the token was minted under, its sign-in has not ended); else None.
    Expiry is the caller's to watch: it needs no lookup."""
    user = user_get_active(user_id=grant.user.pk)
    if user is None or not password_claim_matches(grant.password_claim, user):
        return None
    if sign_in_revoked(grant.sid):
        return None
    return user


# --- data export --------------------------------------------------------------------------------


def data_export_get(*, user: User, export_id: int) -> DataExport:
    """One of the learner's exports; another learner's is a 404."""
    export = DataExport.objects.filter(user=user, pk=export_id).first()
    if export is None:
        raise NotFound()
    return export


def accounts_export_for_user(user_id: int) -> dict[str, list[Any]]:
    """The accounts section of a data export (`accounts.data_export`): the account and its
    profile, sign-in attempts and sign-ins, linked social accounts, second factors (never their
    secrets), AI usage and earlier exports. One query per table."""
    account = list(
        User.objects.filter(pk=user_id).values(
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "email_verified",
            "is_active",
            "date_joined",
            "last_login",
        )
    )
    profile = list(
        UserProfile.objects.filter(user_id=user_id).values(
            "bio", "grade_level", "timezone", "preferred_language", "learning_goals", "updated_at"
        )
    )
    login_history = list(
        LoginHistory.objects.filter(user_id=user_id)
        .order_by("created_at", "id")
        .values("email", "ip_address", "user_agent", "success", "failure_reason", "created_at")
    )
    sign_ins = list(
        SignIn.objects.filter(user_id=user_id)
        .order_by("created_at", "id")
        .values("device", "ip_address", "created_at", "last_used_at", "ended_at")
    )
    social_accounts = list(
        SocialAccount.objects.filter(user_id=user_id)
        .order_by("date_joined", "id")
        .values("provider", "uid", "date_joined", "last_login", "extra_data")
    )
    second_factors = list(
        Authenticator.objects.filter(user_id=user_id)
        .order_by("created_at", "id")
        .values("type", "created_at", "last_used_at")
    )
    ai_usage = list(
        AIUsage.objects.filter(user_id=user_id)
        .order_by("created_at", "id")
        .values(
            "request_id",
            "task",
            "provider",
            "model",
            "prompt_tokens",
            "completion_tokens",
            "outcome",
            "created_at",
        )
    )
    exports = list(
        DataExport.objects.filter(user_id=user_id)
        .order_by("created_at", "id")
        .values("id", "status", "size", "created_at", "completed_at", "expires_at")
    )
    return {
        "account": account,
        "profile": profile,
        "login_history": login_history,
        "sign_ins": sign_ins,
        "social_accounts": social_accounts,
        "second_factors": second_factors,
        "ai_usage": ai_usage,
        "data_exports": exports,
    }


# --- sign-ins -----------------------------------------------------------------------------------


def sign_in_list(*, user: User) -> QuerySet[SignIn]:
    """The user's sign-ins that can still be used, most recently used first: not ended, and
    refreshed within a refresh token's lifetime (an older one's refresh token has expired)."""
    usable_since = timezone.now() - jwt_settings.REFRESH_TOKEN_LIFETIME
    return SignIn.objects.filter(
        user=user, ended_at__isnull=True, last_used_at__gt=usable_since
    ).order_by("-last_used_at", "-id")


def access_sign_in(*, user: User, sign_in_id: int) -> SignIn:
    """One of the user's usable sign-ins; another user's, or one that has ended, is a 404."""
    sign_in = sign_in_list(user=user).filter(pk=sign_in_id).first()
    if sign_in is None:
        raise NotFound()
    return sign_in


# --- deletion -----------------------------------------------------------------------------------


def account_deletion_pending(*, user_id: int) -> AccountDeletion | None:
    """The user's deletion request that can still be cancelled: scheduled, and its grace period
    not over (`services.deletion`)."""
    return AccountDeletion.objects.filter(
        user_id=user_id, state=AccountDeletionState.SCHEDULED, scheduled_for__gt=timezone.now()
    ).first()
