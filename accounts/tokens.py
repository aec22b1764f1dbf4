"""Sign-ins and the tokens that carry them.

A sign-in is one login. Its refresh token and every access token minted from it, across
rotations, carry the same sign-in id in the `sid` claim. Ending a sign-in (logout, or
`services.sign_in_revoke`) blacklists its refresh token in the database, as simplejwt does, and
also writes the sid to the cache for as long as an access token of that sign-in can live
(ACCESS_TOKEN_LIFETIME). REST (`accounts.authentication`) and the sockets (`realtime.auth`) look
the sid up there: one cache round trip per request and no database query. With Redis, every
process sees it.

Tokens minted before sign-ins had ids carry no `sid`: they stay valid until they expire, and
logging out with such a refresh token ends only that refresh token.

A cache outage fails open (counted and logged like every cache failure): for as long as it
lasts, an access token that was signed out keeps working until it expires. That is at most one
ACCESS_TOKEN_LIFETIME, because the refresh token is blacklisted in the database. Password change
and deactivation do not depend on the cache: the token's password claim and the user row are
checked on every request.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any, Final

from django.core.cache import cache
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

from studymate_api.cache import cache_key
from studymate_api.cache.guard import BackendGuard

from .models import User

SID_CLAIM: Final = "sid"
_REVOKED_NAMESPACE: Final = "revoked_sign_in"
# Clocks of the process that minted a token and of the cache server may differ a little.
_CLOCK_MARGIN_SECONDS: Final = 60

_guard = BackendGuard(_REVOKED_NAMESPACE)


@dataclass(frozen=True)
class AccessGrant:
    """What an accepted access token grants, and what must stay true for it to hold."""

    user: User
    expires_at: int  # the token's `exp`, seconds since the epoch
    sid: str | None
    password_claim: str | None


def sign_in_new_id() -> str:
    return uuid.uuid4().hex


def sign_in_refresh_token(user: User, *, sid: str) -> RefreshToken:
    """simplejwt's `RefreshToken.for_user`, with the sign-in id in the token before the token is
    stored as outstanding. `for_user` stores it first, and the stored text is how
    `services.sign_in_revoke` finds a sign-in's refresh tokens."""
    token = RefreshToken()
    token[jwt_settings.USER_ID_CLAIM] = str(getattr(user, jwt_settings.USER_ID_FIELD))
    if jwt_settings.CHECK_REVOKE_TOKEN:
        token[jwt_settings.REVOKE_TOKEN_CLAIM] = get_md5_hash_password(user.password)
    token[SID_CLAIM] = sid
    OutstandingToken.objects.create(
        user=user,
        jti=token[jwt_settings.JTI_CLAIM],
        token=str(token),
        created_at=token.current_time,
        expires_at=datetime_from_epoch(token["exp"]),
    )
    return token


def password_claim_matches(claim: Any, user: User) -> bool:
    """The token was minted under the user's current password (simplejwt's revoke claim)."""
    if not jwt_settings.CHECK_REVOKE_TOKEN:
        return True
    return bool(claim == get_md5_hash_password(user.password))


def sign_in_revoked(sid: Any) -> bool:
    """The sign-in has ended. A token without a sid predates sign-in ids: not revoked."""
    if not isinstance(sid, str) or not sid:
        return False
    key = cache_key(_REVOKED_NAMESPACE, sid)
    return _guard.call("get", lambda: cache.get(key) is not None, fallback=False)


def sign_in_remember_revoked(sid: str) -> None:
    """Access tokens of this sign-in are refused from now on, by every process."""
    lifetime = jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()
    leeway = jwt_settings.LEEWAY
    leeway_seconds = leeway.total_seconds() if hasattr(leeway, "total_seconds") else leeway
    timeout = int(lifetime + leeway_seconds) + _CLOCK_MARGIN_SECONDS
    key = cache_key(_REVOKED_NAMESPACE, sid)
    _guard.attempt("set", lambda: cache.set(key, 1, timeout=timeout))


def token_sid(token: Any) -> str | None:
    sid = token.get(SID_CLAIM)
    return sid if isinstance(sid, str) and sid else None
