"""Accounts endpoints: social sign-in (Google, Apple, Kakao, Naver) for the mobile apps, and the
providers linked to an account."""

from __future__ import annotations

from typing import Any, cast

from allauth.socialaccount.models import SocialAccount
from django.urls import URLPattern, path, re_path
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import (
    OpenApiExample,
    PolymorphicProxySerializer,
    extend_schema,
    extend_schema_serializer,
)
from rest_framework import serializers, status
from rest_framework.authentication import BaseAuthentication
from rest_framework.generics import ListAPIView
from rest_framework.permissions import AllowAny, BasePermission, IsAuthenticated
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import BaseThrottle
from rest_framework.views import APIView

from studymate_api.core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    ServiceUnavailable,
    ValidationFailed,
)
from studymate_api.core.schema import raises
from studymate_api.core.serializers import StrictInputSerializer, validated
from studymate_api.core.throttling import LoginThrottle

from ..models import User
from ..serializers import AuthOutputSerializer
from ..services.social import (
    SocialProvider,
    social_account_list,
    social_account_unlink,
    social_sign_in,
)
from . import _auth_payload, deletion
from .mfa import MfaChallengeOutputSerializer, mfa_challenge

_TOKEN_MAX = 8192


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Apple ID token (iOS)",
            value={
                "id_token": "eyJraWQiOiJXNldjT0tCIiwiYWxnIjoiUlMyNTYifQ...",
                "nonce": "n-0S6_WzA2Mj",
            },
            request_only=True,
        ),
        OpenApiExample(
            "Kakao access token", value={"access_token": "kY0x4b2..."}, request_only=True
        ),
        OpenApiExample(
            "Google authorization code with PKCE",
            value={
                "code": "4/0AVG7fiQ...",
                "redirect_uri": "com.studymate.app:/oauth2redirect",
                "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk",
            },
            request_only=True,
        ),
    ]
)
class SocialSignInInputSerializer(StrictInputSerializer):
    id_token = serializers.CharField(
        max_length=_TOKEN_MAX, required=False, help_text="Google, Apple, Kakao (OIDC)."
    )
    access_token = serializers.CharField(
        max_length=_TOKEN_MAX, required=False, help_text="Kakao, Naver."
    )
    code = serializers.CharField(
        max_length=2048, required=False, help_text="An authorization code (all providers)."
    )
    redirect_uri = serializers.CharField(
        max_length=2048, required=False, help_text="With `code`: the one the app authorized with."
    )
    code_verifier = serializers.CharField(
        min_length=43,
        max_length=128,
        required=False,
        help_text="With `code`: the PKCE verifier of the code challenge (not for Naver).",
    )
    state = serializers.CharField(
        max_length=512, required=False, help_text="With a Naver `code`: the state it was given."
    )
    nonce = serializers.CharField(
        max_length=512,
        required=False,
        help_text="The nonce the app gave the provider; the ID token must carry it (or its "
        "SHA-256, hex).",
    )
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        sent = [name for name in ("id_token", "access_token", "code") if attrs.get(name)]
        if len(sent) != 1:
            message = _("Send exactly one of id_token, access_token and code.")
            raise serializers.ValidationError({name: [message] for name in sent or ["id_token"]})
        if sent == ["code"] and not attrs.get("redirect_uri"):
            raise serializers.ValidationError({"redirect_uri": [_("Required with code.")]})
        return attrs


class SocialSignInOutputSerializer(AuthOutputSerializer):
    created = serializers.BooleanField(help_text="A new account was created by this sign-in.")


SOCIAL_SIGN_IN_RESULT = PolymorphicProxySerializer(
    component_name="SocialSignInResult",
    serializers=[SocialSignInOutputSerializer, MfaChallengeOutputSerializer],
    resource_type_field_name=None,
)


class SocialAccountOutputSerializer(serializers.Serializer[Any]):
    provider = serializers.CharField()
    email = serializers.SerializerMethodField()
    linked_at = serializers.DateTimeField(source="date_joined")
    last_used_at = serializers.DateTimeField(source="last_login")

    def get_email(self, link: Any) -> str:
        """The address the provider shared when it was last used, if any."""
        data = link.extra_data or {}
        for source in (data.get("userinfo"), data.get("id_token"), data, data.get("kakao_account")):
            if isinstance(source, dict) and isinstance(source.get("email"), str):
                return str(source["email"])
        return ""


class SocialSignInApi(APIView):
    """POST signs in (no credentials of ours); DELETE unlinks (signed in)."""

    def get_authenticators(self) -> list[BaseAuthentication]:
        # A stale bearer token sent along with a sign-in must not turn it into a 401.
        if self.request is not None and self.request.method == "POST":
            return []
        return super().get_authenticators()

    def get_permissions(self) -> list[BasePermission]:
        if self.request.method == "POST":
            return [AllowAny()]
        return [IsAuthenticated()]

    def get_throttles(self) -> list[BaseThrottle]:
        if self.request.method == "POST":
            return [LoginThrottle()]
        return super().get_throttles()

    @extend_schema(
        operation_id="auth_social_sign_in",
        request=SocialSignInInputSerializer,
        responses={
            200: SOCIAL_SIGN_IN_RESULT,
            **raises(ValidationFailed, AuthenticationFailed, Conflict, ServiceUnavailable),
        },
    )
    def post(self, request: Request, provider: str) -> Response:
        """Sign in with Google, Apple, Kakao or Naver

        The app signs in with the provider's SDK and sends one of: `id_token` (Google, Apple,
        Kakao), `access_token` (Kakao, Naver), or `code` with `redirect_uri` and the PKCE
        `code_verifier` (any of the four; Naver takes `state` instead of a verifier). We verify
        it with the provider and answer, like login, the user and a new token pair, with
        `created: true` when the sign-in created the account. As with login: with two-factor
        authentication on, the answer is `{mfa_required: true, mfa_token}` for POST
        /api/auth/login/mfa/; an account whose deletion is pending signs in only to cancel it
        (the answer adds `deletion_scheduled_at`).

        Which account: the one this provider identity is linked to; otherwise, when the provider
        has verified the email, the account with that email, which gets linked (and, if that
        account had never verified its email, its password and sign-ins end: the address's
        owner takes it over); otherwise a new account (its email verified when the provider
        verified it, no password: set one by password reset). An unverified provider email that
        belongs to an existing account is 409 `conflict` (sign in with the password instead);
        a provider that shares no email for a new account is a 400 on the credential.

        An ID token that is expired, issued for another app, not signed by the provider, or
        without the `nonce` sent; an access token the provider refuses (or, for Kakao, one
        issued to another app); or a code the provider refuses (expired, used, wrong
        `redirect_uri` or `code_verifier`): 401 `authentication_failed`. A deactivated account:
        401. A credential the provider does not issue (a Google `access_token`, a Naver
        `id_token`): 400 on that field. A provider not configured on this server, or not
        reachable: 503 `service_unavailable`.
        """
        data = validated(SocialSignInInputSerializer, request.data)
        result = social_sign_in(request=request._request, provider=SocialProvider(provider), **data)
        if result.second_factor_due:
            return mfa_challenge(request, result.user)
        payload = {**_auth_payload(result.user, request), "created": result.created}
        return Response({**payload, **deletion.pending_sign_in_fields(result.user)})

    @extend_schema(
        operation_id="auth_social_unlink",
        responses={204: None, **raises(NotFound, Conflict)},
    )
    def delete(self, request: Request, provider: str) -> Response:
        """Unlink a provider from your account

        Answers 204. The account must keep another way in: a password, or another linked
        provider; otherwise 409 `conflict`. A provider not linked to the account: 404.
        """
        social_account_unlink(user=cast(User, request.user), provider=SocialProvider(provider))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SocialAccountListApi(ListAPIView[Any]):
    permission_classes = (IsAuthenticated,)
    serializer_class = SocialAccountOutputSerializer
    queryset = SocialAccount.objects.none()  # for the schema; requests use get_queryset

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List the providers linked to your account

        Each with the email it shared, when it was linked and when it was last used to sign in.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return social_account_list(user=cast(User, self.request.user))


_PROVIDERS = "|".join(provider.value for provider in SocialProvider)

urlpatterns: list[URLPattern] = [
    path("social/", SocialAccountListApi.as_view(), name="social-accounts"),
    re_path(
        rf"^social/(?P<provider>{_PROVIDERS})/$", SocialSignInApi.as_view(), name="social-sign-in"
    ),
]
