"""Accounts endpoints: thin views over services and selectors."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.serializers import validated
from studymate_api.core.throttling import AnonThrottle, LoginThrottle, RegisterThrottle

from . import selectors, services
from .models import LoginHistory, User
from .serializers import (
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


def _auth_payload(user: User) -> dict[str, Any]:
    pair = services.tokens_issue(user=user)
    user = selectors.user_get_with_profile(user_id=user.pk)
    return AuthOutputSerializer({"user": user, "access": pair.access, "refresh": pair.refresh}).data


class RegisterApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (AnonThrottle, RegisterThrottle)

    @extend_schema(request=RegisterInputSerializer, responses={201: AuthOutputSerializer})
    def post(self, request: Request) -> Response:
        user = services.user_register(**validated(RegisterInputSerializer, request.data))
        return Response(_auth_payload(user), status=status.HTTP_201_CREATED)


class LoginApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (LoginThrottle,)

    @extend_schema(
        request=LoginInputSerializer,
        responses={
            200: AuthOutputSerializer,
            401: OpenApiResponse(description="`authentication_failed`: wrong email or password"),
            403: OpenApiResponse(description="`account_locked` after five failures"),
        },
    )
    def post(self, request: Request) -> Response:
        data = validated(LoginInputSerializer, request.data)
        user = services.user_login(request=request._request, **data)
        return Response(_auth_payload(user))


class RefreshApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (LoginThrottle,)

    @extend_schema(request=RefreshInputSerializer, responses={200: TokenPairOutputSerializer})
    def post(self, request: Request) -> Response:
        pair = services.tokens_refresh(**validated(RefreshInputSerializer, request.data))
        return Response(TokenPairOutputSerializer(pair).data)


class LogoutApi(APIView):
    permission_classes = (AllowAny,)
    authentication_classes = ()
    throttle_classes = (LoginThrottle,)

    @extend_schema(request=RefreshInputSerializer, responses={205: None})
    def post(self, request: Request) -> Response:
        services.tokens_revoke(**validated(RefreshInputSerializer, request.data))
        return Response(status=status.HTTP_205_RESET_CONTENT)


class ProfileApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={200: UserOutputSerializer})
    def get(self, request: Request) -> Response:
        return Response(self._payload(request.user))

    @extend_schema(request=ProfileUpdateInputSerializer, responses={200: UserOutputSerializer})
    def put(self, request: Request) -> Response:
        return self._update(request)

    @extend_schema(request=ProfileUpdateInputSerializer, responses={200: UserOutputSerializer})
    def patch(self, request: Request) -> Response:
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

    @extend_schema(request=PasswordChangeInputSerializer, responses={204: None})
    def post(self, request: Request) -> Response:
        data = validated(PasswordChangeInputSerializer, request.data)
        services.user_password_change(user=request.user, **data)  # type: ignore[arg-type]
        return Response(status=status.HTTP_204_NO_CONTENT)


class LoginHistoryApi(ListAPIView[LoginHistory]):
    permission_classes = (IsAuthenticated,)
    serializer_class = LoginHistoryOutputSerializer
    queryset = LoginHistory.objects.none()  # for the schema; requests use get_queryset
    filterset_fields = ("success",)
    ordering_fields = ("created_at",)

    def get_queryset(self) -> Any:
        return selectors.login_history_list(user=self.request.user)  # type: ignore[arg-type]
