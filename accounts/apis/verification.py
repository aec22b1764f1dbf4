"""Accounts endpoints: email verification, password reset and email change, by mailed code."""

from __future__ import annotations

import hashlib
from typing import cast

from django.urls import URLPattern, path
from drf_spectacular.utils import OpenApiExample, extend_schema, extend_schema_serializer
from rest_framework import serializers, status
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.errors import AccountLocked, Conflict
from studymate_api.core.locations import location
from studymate_api.core.schema import raises
from studymate_api.core.serializers import StrictInputSerializer, validated
from studymate_api.core.throttling import AnonThrottle, PerIPThrottle, UserThrottle

from ..models import User
from ..services import verification

# --- throttles --------------------------------------------------------------------------------


class VerificationResendThrottle(UserThrottle):
    """Verification mails per account (rate `email_verify_resend`)."""

    scope = "email_verify_resend"


class EmailChangeThrottle(UserThrottle):
    """Email change requests per account (rate `email_change`): each one mails a code."""

    scope = "email_change"


class PasswordResetClientThrottle(PerIPThrottle):
    """Reset requests per client address (rate `password_reset`)."""

    scope = "password_reset"


class PasswordResetAddressThrottle(PerIPThrottle):
    """Reset requests per email address, from any client (rate `password_reset_address`):
    nobody can flood one mailbox with codes. Known and unknown addresses are counted alike, so
    the 429 tells nothing either. The key holds a hash of the address, not the address."""

    scope = "password_reset_address"

    def get_cache_key(  # type: ignore[override]  # None: nothing to count by yet
        self, request: Request, view: APIView
    ) -> str | None:
        data = request.data
        email = data.get("email") if hasattr(data, "get") else None
        if not isinstance(email, str) or not email.strip():
            return None  # the body is refused by validation
        normalized = User.objects.normalize_email(email)
        ident = hashlib.sha256(normalized.encode()).hexdigest()
        return self.cache_format % {"scope": self.scope, "ident": ident}


class CodeConfirmThrottle(PerIPThrottle):
    """Codes tried per client address (rate `code_confirm`), on top of the attempts each code
    allows (ACCOUNTS_CODE_MAX_ATTEMPTS)."""

    scope = "code_confirm"


# --- serializers ------------------------------------------------------------------------------


class _CodeField(serializers.RegexField):
    def __init__(self) -> None:
        super().__init__(r"^\s*\d{6}\s*$", max_length=16, help_text="The 6-digit code mailed.")


@extend_schema_serializer(
    examples=[OpenApiExample("Code", value={"code": "482913"}, request_only=True)]
)
class EmailCodeInputSerializer(StrictInputSerializer):
    code = _CodeField()


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "New address",
            value={"new_email": "minji.new@example.com", "password": "solar-Orbit-42!"},
            request_only=True,
        )
    ]
)
class EmailChangeInputSerializer(StrictInputSerializer):
    new_email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample("Address", value={"email": "minji.kim@example.com"}, request_only=True)
    ]
)
class PasswordResetInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Code and new password",
            value={
                "email": "minji.kim@example.com",
                "code": "482913",
                "new_password": "quiet-Harbor-77?",
            },
            request_only=True,
        )
    ]
)
class PasswordResetConfirmInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    code = _CodeField()
    new_password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)


# --- views ------------------------------------------------------------------------------------


def _user(request: Request) -> User:
    return cast(User, request.user)


class EmailVerifyApi(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = (UserThrottle, CodeConfirmThrottle)

    @extend_schema(request=EmailCodeInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        """Verify your email address

        Send the 6-digit code mailed to your address (at registration, or by
        `POST /api/auth/email/verify/resend/`). Answers 204 and the profile's `email_verified` is
        true from then on; an address already verified answers 204 too. A wrong or expired code is
        a 400 `validation_error` on `code`; each code allows a few tries, then ask for a new one.
        """
        data = validated(EmailCodeInputSerializer, request.data)
        verification.email_verify(user=_user(request), code=data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class EmailVerifyResendApi(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = (UserThrottle, VerificationResendThrottle)

    @extend_schema(request=None, responses={202: None})
    def post(self, request: Request) -> Response:
        """Send the verification code again

        Mails a new code to your address (the earlier one stops working) and answers 202 at once;
        the mail follows within seconds. Limited to a few per hour: 429 `throttled` with
        `Retry-After`. Nothing is sent for an address already verified. `Location` is where the
        code goes.
        """
        verification.email_verification_send(user=_user(request))
        headers = location(request, "accounts:email-verify")
        return Response(status=status.HTTP_202_ACCEPTED, headers=headers)


class EmailChangeApi(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = (UserThrottle, EmailChangeThrottle)

    @extend_schema(
        request=EmailChangeInputSerializer, responses={202: None, **raises(AccountLocked)}
    )
    def post(self, request: Request) -> Response:
        """Change your email address

        Needs your password (a wrong one is a 400 `validation_error` on `password`). A code goes to
        `new_email`; your address stays as it is until you send that code to
        `POST /api/auth/email/change/confirm/` (`Location`). An address another account uses is a
        400 on `new_email`. Once the change is confirmed, the old address gets a notice. Wrong
        passwords count as failed logins: after too many, 403 `account_locked` with `Retry-After`.
        """
        data = validated(EmailChangeInputSerializer, request.data)
        verification.email_change_request(user=_user(request), request=request._request, **data)
        headers = location(request, "accounts:email-change-confirm")
        return Response(status=status.HTTP_202_ACCEPTED, headers=headers)


class EmailChangeConfirmApi(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = (UserThrottle, CodeConfirmThrottle)

    @extend_schema(request=EmailCodeInputSerializer, responses={204: None, **raises(Conflict)})
    def post(self, request: Request) -> Response:
        """Confirm a new email address

        Send the code mailed to the new address: it becomes your account's email (you sign in with
        it from now on), verified, and the old address is told of the change. Answers 204. A wrong
        or expired code is a 400 `validation_error` on `code`; if another account took the address
        in the meantime, 409 `conflict`.
        """
        data = validated(EmailCodeInputSerializer, request.data)
        verification.email_change_confirm(user=_user(request), code=data["code"])
        return Response(status=status.HTTP_204_NO_CONTENT)


class PasswordResetApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (AnonThrottle, PasswordResetClientThrottle, PasswordResetAddressThrottle)

    @extend_schema(request=PasswordResetInputSerializer, responses={202: None})
    def post(self, request: Request) -> Response:
        """Ask for a password reset code

        Answers 202 whether or not an account has the address, in the same time: if one has, a code
        goes to it within seconds, to send with a new password to
        `POST /api/auth/password/reset/confirm/` (`Location`). Limited per client and per address:
        429 `throttled` with `Retry-After`.
        """
        data = validated(PasswordResetInputSerializer, request.data)
        verification.password_reset_request(email=data["email"])
        headers = location(request, "accounts:password-reset-confirm")
        return Response(status=status.HTTP_202_ACCEPTED, headers=headers)


class PasswordResetConfirmApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (AnonThrottle, CodeConfirmThrottle)

    @extend_schema(request=PasswordResetConfirmInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        """Set a new password with a reset code

        Answers 204: the new password works at once, every sign-in of the account ends (its
        refresh and access tokens stop working and its sockets close) and a lockout of the account
        is lifted. A wrong or expired code, or an address without an account, is a 400
        `validation_error` on `code`; a password the password rules refuse, a 400 on
        `new_password` (the code still works then).
        """
        data = validated(PasswordResetConfirmInputSerializer, request.data)
        verification.password_reset_confirm(**data)
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern] = [
    path("email/verify/", EmailVerifyApi.as_view(), name="email-verify"),
    path("email/verify/resend/", EmailVerifyResendApi.as_view(), name="email-verify-resend"),
    path("email/change/", EmailChangeApi.as_view(), name="email-change"),
    path("email/change/confirm/", EmailChangeConfirmApi.as_view(), name="email-change-confirm"),
    path("password/reset/", PasswordResetApi.as_view(), name="password-reset"),
    path(
        "password/reset/confirm/",
        PasswordResetConfirmApi.as_view(),
        name="password-reset-confirm",
    ),
]
