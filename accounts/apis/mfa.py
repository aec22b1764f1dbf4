"""Two-factor authentication endpoints: TOTP set-up, recovery codes, the login's second step."""

from __future__ import annotations

from typing import Any, cast

from django.urls import URLPattern, path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.errors import (
    AccountLocked,
    AuthenticationFailed,
    Conflict,
    ServiceUnavailable,
)
from studymate_api.core.schema import raises
from studymate_api.core.serializers import StrictInputSerializer, validated
from studymate_api.core.throttling import LoginThrottle, PerIPThrottle, UserThrottle

from ..models import User
from ..serializers import AuthOutputSerializer
from ..services import mfa
from .deletion import pending_sign_in_fields

# --- serializers --------------------------------------------------------------------------------


def _code_field() -> serializers.CharField:
    return serializers.CharField(
        max_length=32,
        help_text=_("A 6-digit code from the authenticator app, or a recovery code."),
    )


@extend_schema_serializer(
    examples=[OpenApiExample("Code from the app", value={"code": "492039"}, request_only=True)]
)
class MfaCodeInputSerializer(StrictInputSerializer):
    code = serializers.CharField(max_length=32)


class TotpDisableInputSerializer(StrictInputSerializer):
    password = serializers.CharField(
        max_length=128, trim_whitespace=False, required=False, allow_blank=True
    )
    code = serializers.CharField(max_length=32, required=False, allow_blank=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Code after the password",
            value={"mfa_token": "x3Jq9yS2nM0dZ4vB8cK1rT7wE5aL6uHgPfQiNoYbVsA", "code": "492039"},
            request_only=True,
        )
    ]
)
class LoginMfaInputSerializer(StrictInputSerializer):
    mfa_token = serializers.CharField(max_length=128)
    code = _code_field()


class MfaChallengeOutputSerializer(serializers.Serializer[Any]):
    mfa_required = serializers.BooleanField()
    mfa_token = serializers.CharField(
        help_text=_("Send it with a code to /api/auth/login/mfa/; it works once, for minutes.")
    )


# What the login's first step answers: the tokens, or the way to the second step.
LOGIN_RESULT = PolymorphicProxySerializer(
    component_name="LoginResult",
    serializers=[AuthOutputSerializer, MfaChallengeOutputSerializer],
    resource_type_field_name=None,
)


class MfaStatusOutputSerializer(serializers.Serializer[Any]):
    enabled = serializers.BooleanField()
    created_at = serializers.DateTimeField(allow_null=True)
    last_used_at = serializers.DateTimeField(allow_null=True)
    recovery_codes_left = serializers.IntegerField()


class TotpSetupOutputSerializer(serializers.Serializer[Any]):
    secret = serializers.CharField(help_text=_("Base32 secret, for typing into the app."))
    otpauth_uri = serializers.CharField(help_text=_("otpauth:// URI, for a QR code or a link."))
    qr_code_svg = serializers.CharField(help_text=_("The URI as a QR code, an SVG document."))
    expires_in = serializers.IntegerField(help_text=_("Seconds left to confirm the set-up."))


class RecoveryCodesOutputSerializer(serializers.Serializer[Any]):
    recovery_codes = serializers.ListField(
        child=serializers.CharField(),
        help_text=_("Each works once instead of a code from the app. Shown only now."),
    )


# --- views --------------------------------------------------------------------------------------


class MfaThrottle(PerIPThrottle):
    scope = "mfa"


class TotpApi(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = (UserThrottle, MfaThrottle)

    @extend_schema(responses={200: MfaStatusOutputSerializer})
    def get(self, request: Request) -> Response:
        """Read your two-factor authentication state

        Whether TOTP is on, since when, when a code last signed in, and how many recovery codes
        are left unused.
        """
        state = mfa.mfa_status(user=cast(User, request.user))
        return Response(MfaStatusOutputSerializer(state).data)

    @extend_schema(
        request=None,
        responses={200: TotpSetupOutputSerializer, **raises(Conflict, ServiceUnavailable)},
    )
    def post(self, request: Request) -> Response:
        """Start setting up an authenticator app

        Answers a new secret as text, as an `otpauth://` URI and as a QR code (SVG) for the app to
        scan. Nothing is active yet: confirm with a code from the app within `expires_in` seconds
        (POST /api/auth/mfa/totp/confirm/). Starting again replaces the secret. 409 `conflict`
        when two-factor authentication is already on.
        """
        setup = mfa.totp_setup_begin(user=cast(User, request.user))
        return Response(TotpSetupOutputSerializer(setup).data)

    @extend_schema(
        request=None,
        responses={
            204: None,
            **raises(Conflict, AccountLocked, ServiceUnavailable),
        },
    )
    def delete(self, request: Request) -> Response:
        """Turn two-factor authentication off

        The JSON body carries `password` (your password) or `code` (a current code from the
        authenticator app). The authenticator and every recovery code are removed; sign-ins then
        need only the password. A wrong password or code is a 400 `validation_error` on that
        field and counts toward the limit of wrong codes (then 403 `account_locked`). Answers
        204; 409 `conflict` when it is not on.
        """
        data = validated(TotpDisableInputSerializer, request.data)
        mfa.totp_disable(request=request._request, user=cast(User, request.user), **data)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TotpConfirmApi(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = (UserThrottle, MfaThrottle)

    @extend_schema(
        request=MfaCodeInputSerializer,
        responses={200: RecoveryCodesOutputSerializer, **raises(Conflict, ServiceUnavailable)},
    )
    def post(self, request: Request) -> Response:
        """Confirm the authenticator app and turn two-factor authentication on

        Send a current code from the app set up with POST /api/auth/mfa/totp/. From now on,
        signing in asks for a code after the password. Answers the recovery codes: each works
        once instead of a code, and they are shown only this once. A wrong code is a 400
        `validation_error` on `code`; 409 `conflict` when no set-up is waiting or it is on.
        """
        data = validated(MfaCodeInputSerializer, request.data)
        _totp, codes = mfa.totp_setup_confirm(user=cast(User, request.user), code=data["code"])
        return Response(RecoveryCodesOutputSerializer({"recovery_codes": codes}).data)


class RecoveryCodesApi(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = (UserThrottle, MfaThrottle)

    @extend_schema(
        request=MfaCodeInputSerializer,
        responses={
            200: RecoveryCodesOutputSerializer,
            **raises(Conflict, AccountLocked, ServiceUnavailable),
        },
    )
    def post(self, request: Request) -> Response:
        """Replace your recovery codes

        Needs a current code from the authenticator app. Every earlier recovery code stops
        working; the new ones are answered this once. A wrong code is a 400 `validation_error` on
        `code`; 409 `conflict` when two-factor authentication is not on.
        """
        data = validated(MfaCodeInputSerializer, request.data)
        codes = mfa.recovery_codes_regenerate(
            request=request._request, user=cast(User, request.user), code=data["code"]
        )
        return Response(RecoveryCodesOutputSerializer({"recovery_codes": codes}).data)


class LoginMfaApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (LoginThrottle,)

    @extend_schema(
        request=LoginMfaInputSerializer,
        responses={
            200: AuthOutputSerializer,
            **raises(AuthenticationFailed, AccountLocked, ServiceUnavailable),
        },
    )
    def post(self, request: Request) -> Response:
        """Finish signing in with a code

        The second step of a login that answered `mfa_required`: the `mfa_token` from it and a
        current code from the authenticator app or an unused recovery code (used up by this).
        Answers the user and a token pair, as login does. A wrong code is a 400
        `validation_error` on `code`; after a few, or once the token has expired or was used,
        401 `authentication_failed`: sign in with the password again. Repeated wrong codes lock
        the account like wrong passwords (403 `account_locked`).
        """
        # The package's __init__ imports this module for the login's first step.
        from . import _auth_payload

        data = validated(LoginMfaInputSerializer, request.data)
        user = mfa.mfa_login_complete(request=request._request, **data)
        # As the login's first step answers without a second factor.
        return Response({**_auth_payload(user, request), **pending_sign_in_fields(user)})


def mfa_challenge(request: Request, user: User) -> Response:
    """The login's answer when `user` has TOTP on: a token for the second step instead of the
    token pair."""
    token = mfa.mfa_login_begin(request=request._request, user=user)
    payload = {"mfa_required": True, "mfa_token": token}
    return Response(MfaChallengeOutputSerializer(payload).data)


urlpatterns: list[URLPattern] = [
    path("mfa/totp/", TotpApi.as_view(), name="mfa-totp"),
    path("mfa/totp/confirm/", TotpConfirmApi.as_view(), name="mfa-totp-confirm"),
    path("mfa/recovery-codes/", RecoveryCodesApi.as_view(), name="mfa-recovery-codes"),
    path("login/mfa/", LoginMfaApi.as_view(), name="login-mfa"),
]
