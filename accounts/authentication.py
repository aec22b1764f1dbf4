"""REST authentication (REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES): simplejwt's bearer
JWTs, and an access token whose sign-in has ended is refused at once (`accounts.tokens`).

simplejwt checks the signature, expiry, token type, that the user exists and is active, and
the password claim. The sign-in check costs one cache round trip and no database query.

The cached read path: a view that declares a read plan (`etag_cached(read_ahead=...)`, a cached
page that needs only the user's id) is authenticated from the token's claims. Its cache keys
and the token's revocation records (`tokens.claims_revocation_keys`) are read in one round trip
and the user is a `User` holding only its id (any other field would be loaded when touched; such
views touch none). A revoked sign-in is refused as always; a user whose credentials changed
lately, or a cache that cannot be read, sends the request down the usual path (the user row).
A `studymate_api.core.conditional.ReadAheadMixin` asks `claims` instead and counts the throttles
in that same round trip.
"""

from __future__ import annotations

import copy
from typing import Any

from django.contrib.auth.base_user import AbstractBaseUser
from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework.request import Request
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken, TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token
from rest_framework_simplejwt.utils import aware_utcnow

from studymate_api.cache.tagged import read_ahead
from studymate_api.core.conditional import READ_AHEAD_ATTRIBUTE, Claims, ReadPlan, read_plan

from .models import User
from .tokens import (
    SID_CLAIM,
    ClaimsVerdict,
    claims_revocation_keys,
    claims_verdict,
    sign_in_revoked,
)

# Access tokens verified by this process (`_verified`), by signing key and text; a few MB at
# most, emptied when full.
_VERIFIED_TOKENS_MAX = 4096
_verified_tokens: dict[tuple[str, bytes], Token] = {}


def _sign_in_ended() -> InvalidToken:
    return InvalidToken(_("This sign-in has ended; sign in again."))


class _UsersWithProfile:
    """What simplejwt's `get_user` reads the user through (`user_model.objects.get(...)` and
    `user_model.DoesNotExist`): the users with their profile joined. Most writes need the
    learner's time zone or language, and the join costs less than a second query."""

    DoesNotExist = User.DoesNotExist
    objects = User.objects.select_related("profile")


class AccessTokenAuthentication(JWTAuthentication):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # simplejwt's own checks (exists, active, password claim) on the joined read.
        self.user_model = _UsersWithProfile  # type: ignore[assignment]

    def authenticate(self, request: Request) -> tuple[AbstractBaseUser, Token] | None:  # type: ignore[override]
        plan = read_plan(request)
        if plan is None:
            return super().authenticate(request)
        header = self.get_header(request)
        raw_token = None if header is None else self.get_raw_token(header)
        if raw_token is None:
            return None
        # simplejwt's checks of the token itself; the sign-in is judged with the read-ahead.
        token = self._verified(raw_token)
        user = self._user_from_claims(request, token, plan)
        if user is None:
            return self.get_user(self._sign_in_open(token)), token
        return user, token

    def claims(self, request: Request) -> Claims | None:
        """For `ReadAheadMixin`: the user and token of a bearer token from its claims alone,
        and the records that must be absent for them to stand (`tokens.claims_revocation_keys`):
        when one is present, `authenticate` judges the request. None without a bearer token or
        a usable user id (`authenticate` answers those); a token simplejwt refuses raises as
        it would there."""
        header = self.get_header(request)
        raw_token = None if header is None else self.get_raw_token(header)
        if raw_token is None:
            return None
        token = self._verified(raw_token)
        user_id = _claimed_user_id(token)
        if user_id is None:
            return None
        records = claims_revocation_keys(user_id=user_id, sid=token.get(SID_CLAIM))
        gates = tuple(key for key in records if key is not None)
        return Claims(_user_with_id(user_id), token, gates)

    def get_validated_token(self, raw_token: bytes) -> Token:
        return self._sign_in_open(super().get_validated_token(raw_token))

    def _verified(self, raw_token: bytes) -> Token:
        """simplejwt's checks of the token itself (signature, claims, type, expiry). The same
        text under the same key is the same signed claims on every request, so a token this
        process has verified before is only checked for expiry again (an expired one takes
        simplejwt's path, for its exact error)."""
        cache_key = (str(jwt_settings.SIGNING_KEY), raw_token)
        known = _verified_tokens.get(cache_key)
        if known is not None:
            token = copy.copy(known)
            token.payload = dict(known.payload)
            token.current_time = aware_utcnow()
            try:
                token.check_exp()
            except TokenError:
                _verified_tokens.pop(cache_key, None)
            else:
                return token
        token = super().get_validated_token(raw_token)
        if len(_verified_tokens) >= _VERIFIED_TOKENS_MAX:
            _verified_tokens.clear()
        _verified_tokens[cache_key] = token
        return token

    def _sign_in_open(self, token: Token) -> Token:
        # Before get_user: a signed-out token costs no database query.
        if sign_in_revoked(token.get(SID_CLAIM)):
            raise _sign_in_ended()
        return token

    def _user_from_claims(self, request: Request, token: Token, plan: ReadPlan) -> User | None:
        """The token's user without its row, when the records read ahead allow it; None sends
        the request down the usual path."""
        user_id = _claimed_user_id(token)
        if user_id is None:
            return None  # get_user refuses it with simplejwt's own message
        user = _user_with_id(user_id)
        records = claims_revocation_keys(user_id=user_id, sid=token.get(SID_CLAIM))
        keys = [key for key in records if key is not None]
        ahead = read_ahead([*keys, *plan.cache_keys(request, user)])
        if ahead is None:
            return None
        verdict = claims_verdict(ahead.found, records)
        if verdict is ClaimsVerdict.REVOKED:
            raise _sign_in_ended()
        if verdict is ClaimsVerdict.ASK_THE_DATABASE:
            return None
        setattr(request._request, READ_AHEAD_ATTRIBUTE, ahead)
        return user


def _user_with_id(user_id: int) -> User:
    """The user as the claims give it: its id only (any other field is loaded when touched)."""
    return User.from_db(None, [jwt_settings.USER_ID_FIELD], [user_id])


def _claimed_user_id(token: Token) -> int | None:
    raw: Any = token.get(jwt_settings.USER_ID_CLAIM)
    try:
        return int(raw)
    except (TypeError, ValueError):
        return None


# drf-spectacular's extension base is untyped.
class AccessTokenScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]
    """The OpenAPI security scheme of this class: simplejwt's own (`jwtAuth`). drf-spectacular
    matches its extensions by exact class, so a subclass needs its own (registered by being
    defined; this module loads with the DRF settings)."""

    target_class = "accounts.authentication.AccessTokenAuthentication"
