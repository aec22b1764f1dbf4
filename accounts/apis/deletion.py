"""Accounts endpoints: deletion (request it, cancel it within the grace period)."""

from __future__ import annotations

from typing import Any, cast

from django.contrib.auth.base_user import AbstractBaseUser
from django.urls import URLPattern, path
from django.utils.translation import gettext as _
from drf_spectacular.contrib.rest_framework_simplejwt import SimpleJWTScheme
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.permissions import IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView
from rest_framework_simplejwt.exceptions import InvalidToken
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.tokens import Token

from studymate_api.core.errors import Conflict, ValidationFailed
from studymate_api.core.locations import location
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated
from studymate_api.core.throttling import UserThrottle

from ..authentication import AccessTokenAuthentication
from ..models import User
from ..selectors import account_deletion_pending
from ..services.deletion import account_deletion_cancel, account_deletion_request
from ..tokens import password_claim_matches, token_sid


class AccountDeleteInputSerializer(serializers.Serializer[Any]):
    # Not required: an account without a usable password proves itself by a recent sign-in.
    password = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)


class AccountDeletionOutputSerializer(serializers.Serializer[Any]):
    deletion_scheduled_at = serializers.DateTimeField()


def pending_sign_in_fields(user: User) -> dict[str, Any]:
    """What login adds for an account whose deletion is pending: `deletion_scheduled_at`, the
    sign that its tokens serve only to cancel (see `AccountDeleteCancelApi`)."""
    if user.is_active:
        return {}
    deletion = account_deletion_pending(user_id=user.pk)
    if deletion is None:
        return {}
    return dict(
        AccountDeletionOutputSerializer({"deletion_scheduled_at": deletion.scheduled_for}).data
    )


class AccountDeleteThrottle(UserThrottle):
    """Each request checks the password: a stolen access token must not become a way to guess
    it."""

    scope = "account_delete"


class PendingDeletionAuthentication(AccessTokenAuthentication):
    """The access token of an account whose deletion is pending: REST's usual checks (signature,
    expiry, sign-in not ended, password claim), except that the account may be inactive, as the
    pending deletion made it. Only the cancel endpoint uses it."""

    def get_user(self, validated_token: Token) -> AbstractBaseUser:  # type: ignore[override]
        user = User.objects.filter(pk=validated_token.get(jwt_settings.USER_ID_CLAIM)).first()
        if user is None:
            raise InvalidToken(_("User not found"))
        if not password_claim_matches(validated_token.get(jwt_settings.REVOKE_TOKEN_CLAIM), user):
            raise InvalidToken(_("The user's password has been changed."))
        if not user.is_active and account_deletion_pending(user_id=user.pk) is None:
            raise InvalidToken(_("User is inactive"))
        return user


class AccountDeleteApi(APIView):
    permission_classes = (IsAuthenticated,)
    throttle_classes = (AccountDeleteThrottle,)

    @extend_schema(
        request=AccountDeleteInputSerializer,
        responses={202: AccountDeletionOutputSerializer, **raises(ValidationFailed, Conflict)},
    )
    def post(self, request: Request) -> Response:
        """Delete your account

        Send your `password`. An account that has no password (made with social sign-in) sends
        none, and must have signed in within the last few minutes (by default 10) instead: sign
        in again first otherwise. A wrong password, or a sign-in that is not recent, is a 400
        `validation_error` on `password`.

        Answers 202 with `deletion_scheduled_at`, the end of the grace period (7 days by
        default), and `Location` of the cancel endpoint. At once, the account is deactivated and
        signed out everywhere (every refresh and access token stops working, open sockets
        close), and its paid subscription is cancelled at Stripe with immediate effect (no
        refund of the running period); an email confirms the date. Until then, signing in
        (POST /api/auth/login/, which then adds `deletion_scheduled_at`) and POST
        /api/auth/account/delete/cancel/ keep the account. After it, everything the account holds
        is erased: content, progress, quiz attempts, chat, devices, notifications, sign-in
        history. Payments and the credit ledger are kept, as the law requires, without anything
        that names you. Public subjects and quizzes other learners use stay, without you as
        their author.
        """
        data = validated(AccountDeleteInputSerializer, request.data)
        deletion = account_deletion_request(
            user=cast(User, request.user),
            password=data.get("password") or None,
            sid=token_sid(request.auth) if request.auth is not None else None,
        )
        body = AccountDeletionOutputSerializer({"deletion_scheduled_at": deletion.scheduled_for})
        headers = location(request, "accounts:account-delete-cancel")
        return Response(body.data, status=status.HTTP_202_ACCEPTED, headers=headers)


class AccountDeleteCancelApi(APIView):
    permission_classes = (IsAuthenticated,)
    authentication_classes = (PendingDeletionAuthentication,)

    @extend_schema(request=None, responses={204: None, **raises(Conflict)})
    def post(self, request: Request) -> Response:
        """Cancel the deletion of your account

        Within the grace period, sign in again (POST /api/auth/login/ answers the tokens with
        `deletion_scheduled_at`), then send this with that access token: the account is active
        again, the erasure will not happen, and the same tokens work everywhere once more.
        Answers 204. Tokens of an account whose deletion is pending are refused (401) by every
        other endpoint, and by refresh, until then. The cancelled subscription stays cancelled:
        subscribe again to get the plan back. 409 `conflict` when the account has no deletion
        that can be cancelled (none was asked for, or the grace period is over).
        """
        account_deletion_cancel(user=cast(User, request.user))
        return Response(status=status.HTTP_204_NO_CONTENT)


urlpatterns: list[URLPattern] = [
    path("account/delete/", AccountDeleteApi.as_view(), name="account-delete"),
    path(
        "account/delete/cancel/",
        AccountDeleteCancelApi.as_view(),
        name="account-delete-cancel",
    ),
]


# drf-spectacular's extension base is untyped.
class PendingDeletionScheme(SimpleJWTScheme):  # type: ignore[no-untyped-call]
    """The OpenAPI security scheme of the cancel endpoint: a bearer JWT, as `jwtAuth`, that may
    belong to an account whose deletion is pending (a component of its own: drf-spectacular
    keys components by authentication class)."""

    target_class = "accounts.apis.deletion.PendingDeletionAuthentication"
    name = "jwtAuthPendingDeletion"
