"""Every read of the accounts domain."""

from __future__ import annotations

from django.db.models import QuerySet
from rest_framework.exceptions import AuthenticationFailed
from rest_framework_simplejwt.settings import api_settings as jwt_settings

from .authentication import AccessTokenAuthentication
from .models import LoginHistory, User, UserProfile
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
