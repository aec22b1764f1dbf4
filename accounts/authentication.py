"""REST authentication (REST_FRAMEWORK's DEFAULT_AUTHENTICATION_CLASSES): simplejwt's bearer
JWTs, and an access token whose sign-in has ended is refused at once (`accounts.tokens`).

simplejwt checks the signature, expiry, token type, that the user exists and is active, and
the password claim. The sign-in check costs one cache round trip and no database query.
"""

from __future__ import annotations

from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from rest_framework_simplejwt.authentication import JWTAuthentication
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.tokens import Token

from .tokens import SID_CLAIM, sign_in_revoked


class AccessTokenAuthentication(JWTAuthentication):
    def get_validated_token(self, raw_token: bytes) -> Token:
        token = super().get_validated_token(raw_token)
        # Before get_user: a signed-out token costs no database query.
        if sign_in_revoked(token.get(SID_CLAIM)):
            raise InvalidToken(_("This sign-in has ended; sign in again."))
        return token


# drf-spectacular's extension base is untyped.
class AccessTokenScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]
    """The OpenAPI security scheme of this class: simplejwt's own (`jwtAuth`). drf-spectacular
    matches its extensions by exact class, so a subclass needs its own (registered by being
    defined; this module loads with the DRF settings)."""

    target_class = "accounts.authentication.AccessTokenAuthentication"
