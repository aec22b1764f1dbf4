"""Accounts endpoints: thin views over services and selectors."""

from __future__ import annotations

from typing import Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.conditional import etag_cached
from studymate_api.core.errors import AccountLocked, AuthenticationFailed
from studymate_api.core.locations import location
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated
from studymate_api.core.throttling import AnonThrottle, LoginThrottle, RegisterThrottle

from .. import selectors, services
from ..caching import profile_tag
from ..models import LoginHistory, User
from ..serializers import (
    AuthOutputSerializer,
    LoginHistoryOutputSerializer,
    LoginInputSerializer,
    PasswordChangeInputSerializer,
    ProfileUpdateInputSerializer,
    RefreshInputSerializer,
    RegisterInputSerializer,
    TokenPairOutputSerializer,
    UserOutputSerializer,
)
from . import deletion
from .mfa import LOGIN_RESULT, mfa_challenge


def _auth_payload(user: User, request: Request | None = None) -> dict[str, Any]:
    """A new sign-in of `user`: the user and its first token pair. `request` names the sign-in's
    device and address in the sessions list."""
    pair = services.tokens_issue(user=user, request=request._request if request else None)
    user = selectors.user_get_with_profile(user_id=user.pk)
    return AuthOutputSerializer({"user": user, "access": pair.access, "refresh": pair.refresh}).data


class RegisterApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (AnonThrottle, RegisterThrottle)

    @extend_schema(request=RegisterInputSerializer, responses={201: AuthOutputSerializer})
    def post(self, request: Request) -> Response:
        """Create an account

        Answers 201 with the new user and a token pair, so the client is signed in at once. An email
        or username already in use, or a password that the password rules refuse, is a 400
        `validation_error` on that field.
        """
        user = services.user_register(**validated(RegisterInputSerializer, request.data))
        headers = location(request, "accounts:profile")
        payload = _auth_payload(user, request)
        return Response(payload, status=status.HTTP_201_CREATED, headers=headers)


class LoginApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (LoginThrottle,)

    @extend_schema(
        request=LoginInputSerializer,
        responses={
            200: LOGIN_RESULT,
            **raises(AuthenticationFailed, AccountLocked),
        },
    )
    def post(self, request: Request) -> Response:
        """Sign in with email and password

        Answers the user and a token pair: send `access` as `Authorization: Bearer` and keep
        `refresh` to get new ones. A wrong email or password is 401 `authentication_failed`. After
        5 failures for one account from one address (IP), that address is locked out of that
        account for 15 minutes: 403 `account_locked`, even with the right password, with
        `Retry-After` (seconds left); other addresses and the account's sign-ins carry on. When
        many addresses have been locked out of one account, every client gets 403
        `account_locked` with `"unlock_required": true` in the error: the right password mails
        an unlock code to the account's address, and the same login with `unlock_code` lets the
        client in (a wrong or expired code is a 400 on `unlock_code`); a password reset works too.
        With two-factor authentication on, answers `{mfa_required: true,
        mfa_token}` instead: send the token and a code to POST /api/auth/login/mfa/ for the pair.
        An account whose deletion is pending (within its grace period) signs in only to cancel
        it: the answer adds `deletion_scheduled_at`, and its tokens are refused everywhere but
        POST /api/auth/account/delete/cancel/ until that succeeds.
        """
        data = validated(LoginInputSerializer, request.data)
        signed_in = services.user_login(request=request._request, **data)
        user = signed_in.user
        if signed_in.second_factor_due:
            return mfa_challenge(request, user)
        return Response({**_auth_payload(user, request), **deletion.pending_sign_in_fields(user)})


class RefreshApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (LoginThrottle,)

    @extend_schema(
        request=RefreshInputSerializer,
        responses={200: TokenPairOutputSerializer, **raises(AuthenticationFailed)},
    )
    def post(self, request: Request) -> Response:
        """Exchange a refresh token for a new token pair

        The refresh token rotates: the one sent stops working and the answer carries its successor.
        An expired, revoked or already used refresh token is 401 `authentication_failed`.
        """
        data = validated(RefreshInputSerializer, request.data)
        pair = services.tokens_refresh(request=request._request, **data)
        return Response(TokenPairOutputSerializer(pair).data)


class LogoutApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (LoginThrottle,)

    @extend_schema(request=RefreshInputSerializer, responses={205: None})
    def post(self, request: Request) -> Response:
        """Sign out

        Ends the sign-in that the refresh token in the body belongs to: that refresh token and the
        sign-in's access tokens stop working at once, and its open sockets close. Answers 205 with
        no body. A refresh token that is invalid or already revoked is a 400 `validation_error`
        on `refresh`.
        """
        services.tokens_revoke(**validated(RefreshInputSerializer, request.data))
        return Response(status=status.HTTP_205_RESET_CONTENT)


def _profile_tags(request: Request) -> list[str]:
    return [profile_tag(cast(User, request.user).pk)]


def _account_fields(request: Request) -> tuple[object, ...]:
    """The user row's part of the profile answer. Authentication has just read the row, so
    this costs nothing and also sees writes that bypass the profile services (admin)."""
    user = request.user
    fields = UserOutputSerializer.Meta.fields
    return tuple(getattr(user, name) for name in fields if name != "profile")


class ProfileApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: UserOutputSerializer})
    @etag_cached(tags=_profile_tags, version=_account_fields)
    def get(self, request: Request) -> Response:
        """Read your account and learner profile"""
        return Response(self._payload(request.user))

    @extend_schema(request=ProfileUpdateInputSerializer, responses={200: UserOutputSerializer})
    def put(self, request: Request) -> Response:
        """Update your account and learner profile

        Fields left out keep their values; `profile` holds the learner fields (bio, grade level,
        IANA time zone, language, goals). Email and other fields not listed here cannot be set:
        sending one is a 400 `validation_error` naming it. Answers the updated profile.
        """
        return self._update(request)

    @extend_schema(request=ProfileUpdateInputSerializer, responses={200: UserOutputSerializer})
    def patch(self, request: Request) -> Response:
        """Update some fields of your account and learner profile

        Same body and rules as PUT: only the fields sent change.
        """
        return self._update(request)

    def _update(self, request: Request) -> Response:
        data = validated(ProfileUpdateInputSerializer, request.data)
        services.user_profile_update(user=request.user, data=data)  # type: ignore[arg-type]
        return Response(self._payload(request.user))

    @staticmethod
    def _payload(user: Any) -> Any:
        services.user_profile_ensure(user=user)
        return UserOutputSerializer(selectors.user_get_with_profile(user_id=user.pk)).data


class PasswordChangeApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(
        request=PasswordChangeInputSerializer, responses={204: None, **raises(AccountLocked)}
    )
    def post(self, request: Request) -> Response:
        """Change your password

        Needs the current password (a wrong one is a 400 `validation_error` on `old_password`); the
        new one must pass the password rules. Every refresh token of the account is revoked, and
        access tokens issued before stop working: sign in again afterwards. Answers 204. Wrong
        current passwords count as failed logins of the account from this address: after 5, 403
        `account_locked` with `Retry-After`, as the login answers.
        """
        data = validated(PasswordChangeInputSerializer, request.data)
        services.user_password_change(
            user=request.user,  # type: ignore[arg-type]
            request=request._request,
            **data,
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class LoginHistoryApi(ListAPIView[LoginHistory]):
    permission_classes = (IsAuthenticated,)
    serializer_class = LoginHistoryOutputSerializer
    queryset = LoginHistory.objects.none()  # for the schema; requests use get_queryset
    filterset_fields = ("success",)
    ordering_fields = ("created_at",)

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List the sign-in attempts on your account

        Successful and failed logins, newest first, each with the client's IP address and user
        agent; `?success=false` lists only the failures.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return selectors.login_history_list(user=self.request.user)  # type: ignore[arg-type]
