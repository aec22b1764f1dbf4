"""Accounts endpoints: sessions (the account's sign-ins, and ending them)."""

from __future__ import annotations

from typing import Any, cast

from django.urls import URLPattern, path
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from ..models import User
from ..models.sessions import SignIn
from ..selectors import access_sign_in, sign_in_list
from ..serializers import SignInOutputSerializer, SignInsRevokedOutputSerializer
from ..services.sessions import sign_in_revoke, sign_ins_end_all
from ..tokens import token_sid


def _current_sid(request: Request) -> str | None:
    """The sign-in of the request's access token (None for a token from before sign-in ids)."""
    return token_sid(request.auth) if request.auth is not None else None


class SignInListApi(ListAPIView[SignIn]):
    permission_classes = (IsAuthenticated,)
    serializer_class = SignInOutputSerializer
    queryset = SignIn.objects.none()  # for the schema; requests use get_queryset

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List your sign-ins

        Every sign-in that can still be used (each login, on each device, until it is signed out,
        revoked or left unused past a refresh token's lifetime), most recently used first:
        `device` is a label read from the client's User-Agent ("iPhone · StudyMate 2.3",
        "Chrome on macOS"; empty when it says nothing), `ip_address` the address it was last
        used from, and `current` is true for the sign-in this request's access token belongs to.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return sign_in_list(user=cast(User, self.request.user))

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "current_sid": _current_sid(self.request)}


class SignInDetailApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(responses={204: None})
    def delete(self, request: Request, sign_in_id: int) -> Response:
        """Revoke one of your sign-ins

        Ends it as signing out on that device would: its refresh token and access tokens stop
        working at once and its open sockets close. Revoking the current sign-in signs this
        client out. Answers 204; a sign-in that is not yours, or has already ended, is a 404.
        """
        user = cast(User, request.user)
        sign_in = access_sign_in(user=user, sign_in_id=sign_in_id)
        sign_in_revoke(user=user, sid=sign_in.sid)
        return Response(status=status.HTTP_204_NO_CONTENT)


class SignInRevokeOthersApi(APIView):
    permission_classes = (IsAuthenticated,)

    @extend_schema(request=None, responses={200: SignInsRevokedOutputSerializer})
    def post(self, request: Request) -> Response:
        """Sign out everywhere else

        Ends every sign-in of the account except the one this request's access token belongs to:
        their refresh and access tokens stop working at once and their sockets close. Answers
        `{revoked}`, how many sign-ins ended.
        """
        user = cast(User, request.user)
        revoked = sign_ins_end_all(user=user, keep_sid=_current_sid(request))
        return Response(SignInsRevokedOutputSerializer({"revoked": revoked}).data)


urlpatterns: list[URLPattern] = [
    path("sessions/", SignInListApi.as_view(), name="sessions"),
    path("sessions/revoke_others/", SignInRevokeOthersApi.as_view(), name="sessions-revoke-others"),
    path("sessions/<int:sign_in_id>/", SignInDetailApi.as_view(), name="session-detail"),
]
