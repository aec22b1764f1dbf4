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
checked on every request, except on the cached read path below.

The cached read path (`accounts.authentication`, for views that declare a read plan) takes the
user from the token's claims and reads no user row. It must still refuse what the row would
refuse, so the services that change what the row says about credentials (a password change,
`user_access_changed`: deactivation, staff granted or removed) also remember the user here for
as long as a sid is remembered (`credentials_changed_on_commit`): while that record exists,
every access token of the user is judged against the database again, on every path. Both
records ride in the same cache round trip as the page the view reads. A change made around the
services (a queryset `update`, the shell, the admin's password form) is seen at once by every
other endpoint and by the cached read path once the token expires.
"""

from __future__ import annotations

import enum
import functools
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, NamedTuple

from django.core.cache import cache
from django.db import transaction
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken
from rest_framework_simplejwt.utils import datetime_from_epoch, get_md5_hash_password

from studymate_api.cache import cache_key
from studymate_api.cache.guard import BackendGuard

from .models import User

SID_CLAIM: Final = "sid"
_REVOKED_NAMESPACE: Final = "revoked_sign_in"
_CHANGED_NAMESPACE: Final = "credentials_changed"
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
    key = cache_key(_REVOKED_NAMESPACE, sid)
    _guard.attempt("set", lambda: cache.set(key, 1, timeout=_remembered_seconds()))


def _remembered_seconds() -> int:
    """As long as an access token minted before now can still be accepted."""
    lifetime = jwt_settings.ACCESS_TOKEN_LIFETIME.total_seconds()
    leeway = jwt_settings.LEEWAY
    leeway_seconds = leeway.total_seconds() if hasattr(leeway, "total_seconds") else leeway
    return int(lifetime + leeway_seconds) + _CLOCK_MARGIN_SECONDS


def credentials_changed_on_commit(user_id: int) -> None:
    """After commit, every access token of the user is judged against the user row again, on
    the cached read path too, until the tokens minted before the change have expired."""
    key = cache_key(_CHANGED_NAMESPACE, user_id)
    transaction.on_commit(
        lambda: _guard.attempt("set", lambda: cache.set(key, 1, timeout=_remembered_seconds()))
    )


class RevocationKeys(NamedTuple):
    """The cache keys that decide whether an access token's claims can be trusted without the
    user row: the user's credentials-changed record, and its sign-in's revocation (None for a
    token without a sid)."""

    credentials_changed: str
    sign_in: str | None


def claims_revocation_keys(*, user_id: int, sid: Any) -> RevocationKeys:
    return _revocation_keys(user_id, sid if isinstance(sid, str) and sid else None)


# Asked on every cached read; a few thousand signed-in tokens' keys are a few hundred KB.
@functools.lru_cache(maxsize=4096)
def _revocation_keys(user_id: int, sid: str | None) -> RevocationKeys:
    sign_in = None if sid is None else cache_key(_REVOKED_NAMESPACE, sid)
    return RevocationKeys(cache_key(_CHANGED_NAMESPACE, user_id), sign_in)


class ClaimsVerdict(enum.Enum):
    TRUSTED = "trusted"
    REVOKED = "revoked"  # the sign-in has ended
    ASK_THE_DATABASE = "ask_the_database"  # the user's credentials changed lately


def claims_verdict(found: Mapping[str, Any], keys: RevocationKeys) -> ClaimsVerdict:
    """What the records at `keys`, as read into `found`, say about the token."""
    if keys.sign_in is not None and keys.sign_in in found:
        return ClaimsVerdict.REVOKED
    if keys.credentials_changed in found:
        return ClaimsVerdict.ASK_THE_DATABASE
    return ClaimsVerdict.TRUSTED


def token_sid(token: Any) -> str | None:
    sid = token.get(SID_CLAIM)
    return sid if isinstance(sid, str) and sid else None
