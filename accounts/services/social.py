"""Social sign-in for the mobile apps: Google, Apple, Kakao and Naver.

The app signs in with the provider's SDK and sends what it got; django-allauth's providers
verify it with the provider (settings: SOCIALACCOUNT_PROVIDERS, built in settings.accounts):

- an ID token (Google, Apple, Kakao): allauth's `openid_connect` provider, `verify_token`
  (discovery at the issuer, the key from its JWKS by `kid`, RS256 signature, issuer, audience =
  one of our client ids, expiry; a repeated `jti` refused). The app of the token's audience is
  chosen first, so each configured client id (web, iOS, Android) is accepted.
- an access token (Kakao, Naver): allauth's `kakao` / `naver` adapters' `complete_login`, which
  read the profile with it (Kakao /v2/user/me, Naver /v1/nid/me). The URLs come from settings.
- an authorization code with its PKCE verifier (all four): allauth's `OAuth2Client` (Apple's
  `AppleOAuth2Client`, which signs the client secret) exchanges it at the token endpoint, then
  the adapter's `complete_login` reads the identity (OIDC: the ID token, and user info for
  Google; Kakao and Naver: the profile).

What allauth gives back (a `SocialLogin`: provider uid, email and whether the provider verified
it, names) is linked here, not by allauth's session-and-redirect flow (`complete_social_login`),
which would sign in a Django session, keep its own email table and link by email on its own
terms. The rules: an identity already linked is its user; otherwise an email the provider has
verified links to the account with that email; an unverified one never does (409); otherwise a
new account is created with an unusable password. The link is allauth's `SocialAccount` row,
keyed by our provider name and the provider's uid.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import jwt
import requests
from allauth.account.adapter import get_adapter as get_account_adapter
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.models import SocialAccount, SocialApp, SocialToken
from allauth.socialaccount.providers.apple.client import AppleOAuth2Client
from allauth.socialaccount.providers.kakao.views import KakaoOAuth2Adapter
from allauth.socialaccount.providers.naver.views import NaverOAuth2Adapter
from allauth.socialaccount.providers.oauth2.client import OAuth2Client, OAuth2Error
from allauth.socialaccount.providers.openid_connect.views import OpenIDConnectOAuth2Adapter
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import (
    AuthenticationFailed,
    Conflict,
    NotFound,
    ServiceUnavailable,
    validation_failed,
)
from studymate_api.core.requests import client_ip, user_agent

from ..models import LoginHistory, User
from ..selectors import account_deletion_pending, user_find_by_email
from ..tokens import credentials_changed_on_commit
from . import normalize_email
from .mfa import mfa_enabled
from .sessions import sign_ins_end_all


class SocialProvider(StrEnum):
    GOOGLE = "google"
    APPLE = "apple"
    KAKAO = "kakao"
    NAVER = "naver"


PROVIDER_NAMES = {
    SocialProvider.GOOGLE: "Google",
    SocialProvider.APPLE: "Apple",
    SocialProvider.KAKAO: "Kakao",
    SocialProvider.NAVER: "Naver",
}
# The allauth app (provider id) that verifies each provider's ID tokens: SOCIALACCOUNT_PROVIDERS
# "openid_connect" apps. Naver does not issue ID tokens.
_OIDC_APP = {
    SocialProvider.GOOGLE: "google",
    SocialProvider.APPLE: "apple",
    SocialProvider.KAKAO: "kakao_oidc",
}
# What each provider's app can send: ID tokens from the OIDC providers, access tokens where the
# provider has a profile endpoint that names the user (Kakao, Naver), codes from all four.
CREDENTIALS = {
    SocialProvider.GOOGLE: ("id_token", "code"),
    SocialProvider.APPLE: ("id_token", "code"),
    SocialProvider.KAKAO: ("id_token", "access_token", "code"),
    SocialProvider.NAVER: ("access_token", "code"),
}

UNSUPPORTED_CREDENTIAL = _("%(provider)s sign-in accepts only: %(accepted)s.")
PKCE_REQUIRED = _("Send the PKCE code_verifier with the code.")
NOT_CONFIGURED = _("Sign-in with %(provider)s is not configured on this server.")
UNREACHABLE = _("%(provider)s could not be reached to verify the sign-in. Try again later.")
INVALID_ID_TOKEN = _(
    "The ID token is not valid: it is expired, not issued for this app, or not signed by "
    "%(provider)s."
)
INVALID_ACCESS_TOKEN = _("%(provider)s did not accept the access token.")
INVALID_CODE = _(
    "%(provider)s refused the authorization code: it is expired or already used, the "
    "redirect_uri differs, or the code_verifier does not match."
)
NONCE_MISMATCH = _("The ID token was not issued for this nonce.")
NO_EMAIL = _(
    "%(provider)s did not share an email address. Allow access to your email and try again."
)
UNVERIFIED_EMAIL_TAKEN = _(
    "An account with this email already exists, and %(provider)s has not verified that the "
    "email is yours. Sign in with your password instead."
)
NOT_YOURS = _("This %(provider)s account is not linked to your account.")
DEACTIVATED = _("This account is deactivated.")
NOT_LINKED = _("%(provider)s is not linked to your account.")
LAST_WAY_IN = _(
    "%(provider)s is the only way into your account. Set a password or link another provider "
    "before unlinking it."
)


@dataclass(frozen=True)
class SocialSignIn:
    user: User
    created: bool
    # Two-factor authentication is on: the sign-in completes at the second step.
    second_factor_due: bool = False


@dataclass(frozen=True)
class _Identity:
    """What the provider vouched for."""

    uid: str
    email: str
    email_verified: bool
    first_name: str
    last_name: str
    extra_data: dict[str, Any]


# --- adapters whose URLs come from settings ---------------------------------------------------


def _provider_setting(provider: str, name: str) -> str:
    return str(settings.SOCIALACCOUNT_PROVIDERS[provider][name])


class _KakaoAdapter(KakaoOAuth2Adapter):  # type: ignore[misc]
    """allauth's Kakao adapter reads /v2/user/me at a fixed host (a class attribute); ours at
    the URL in settings."""

    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.profile_url = _provider_setting("kakao", "PROFILE_URL")
        self.access_token_url = _provider_setting("kakao", "ACCESS_TOKEN_URL")


class _NaverAdapter(NaverOAuth2Adapter):  # type: ignore[misc]
    def __init__(self, request: HttpRequest) -> None:
        super().__init__(request)
        self.profile_url = _provider_setting("naver", "PROFILE_URL")
        self.access_token_url = _provider_setting("naver", "ACCESS_TOKEN_URL")


_PROFILE_ADAPTERS: dict[SocialProvider, type[Any]] = {
    SocialProvider.KAKAO: _KakaoAdapter,
    SocialProvider.NAVER: _NaverAdapter,
}


# --- sign-in ----------------------------------------------------------------------------------


def social_sign_in(
    *,
    request: HttpRequest,
    provider: SocialProvider,
    id_token: str = "",
    access_token: str = "",
    code: str = "",
    redirect_uri: str = "",
    code_verifier: str = "",
    state: str = "",
    nonce: str = "",
    first_name: str = "",
    last_name: str = "",
) -> SocialSignIn:
    """Verifies the credential with the provider (outside any transaction: it is network), then
    finds, links or creates the account. `first_name`/`last_name` from the app fill a new
    account's names when the provider shares none (Apple gives the name to the app only)."""
    credential = _Credential(id_token, access_token, code, redirect_uri, code_verifier, state)
    identity = _verified_identity(request, provider, credential, nonce=nonce)
    if not identity.email and not _linked(provider, identity.uid):
        raise validation_failed(credential.field, NO_EMAIL % _params(provider))
    names = (identity.first_name or first_name, identity.last_name or last_name)
    result = _link_or_create(provider, identity, names)
    if mfa_enabled(user=result.user):
        return SocialSignIn(result.user, result.created, second_factor_due=True)
    _record_sign_in(request, result.user)
    return result


def social_reauthenticate(
    *,
    request: HttpRequest,
    user: User,
    provider: SocialProvider,
    id_token: str = "",
    access_token: str = "",
    code: str = "",
    redirect_uri: str = "",
    code_verifier: str = "",
    state: str = "",
    nonce: str = "",
) -> None:
    """A fresh proof from the provider that whoever asks is `user` (for what needs the password
    from an account without one, such as deletion): the credential must verify and name a
    provider identity linked to `user`, else 401 `authentication_failed`. Writes nothing."""
    credential = _Credential(id_token, access_token, code, redirect_uri, code_verifier, state)
    identity = _verified_identity(request, provider, credential, nonce=nonce)
    links = SocialAccount.objects.filter(provider=provider.value, uid=identity.uid, user=user)
    if not links.exists():
        raise AuthenticationFailed(NOT_YOURS % _params(provider))


@dataclass(frozen=True)
class _Credential:
    id_token: str
    access_token: str
    code: str
    redirect_uri: str
    code_verifier: str
    state: str

    @property
    def field(self) -> str:
        return "id_token" if self.id_token else "access_token" if self.access_token else "code"


def _verified_identity(
    request: HttpRequest, provider: SocialProvider, credential: _Credential, *, nonce: str
) -> _Identity:
    field = credential.field
    if field not in CREDENTIALS[provider]:
        params = {**_params(provider), "accepted": ", ".join(CREDENTIALS[provider])}
        raise validation_failed(field, UNSUPPORTED_CREDENTIAL % params)
    if field == "code" and provider != SocialProvider.NAVER and not credential.code_verifier:
        raise validation_failed("code_verifier", PKCE_REQUIRED)
    if credential.id_token:
        login = _verify_id_token(request, provider, credential.id_token)
    elif credential.access_token:
        login = _verify_access_token(request, provider, credential.access_token)
    else:
        login = _verify_code(request, provider, credential)
    if nonce:
        _check_nonce(login, nonce)
    return _identity(provider, login)


def _params(provider: SocialProvider) -> dict[str, str]:
    return {"provider": PROVIDER_NAMES[provider]}


def _not_configured(provider: SocialProvider) -> ServiceUnavailable:
    return ServiceUnavailable(NOT_CONFIGURED % _params(provider))


def _unreachable(provider: SocialProvider) -> ServiceUnavailable:
    return ServiceUnavailable(UNREACHABLE % _params(provider))


def _verify_id_token(request: HttpRequest, provider: SocialProvider, id_token: str) -> Any:
    apps = _oidc_apps(request, provider)
    audiences = _unverified_audiences(provider, id_token)
    app = next((app for app in apps if app.client_id in audiences), apps[0])
    try:
        return app.get_provider(request).verify_token(request, {"id_token": id_token})
    except ValidationError as error:
        # allauth folds every failure into "invalid_token"; a network failure is ours to tell.
        if isinstance(error.__cause__, requests.RequestException):
            raise _unreachable(provider) from error
        raise AuthenticationFailed(INVALID_ID_TOKEN % _params(provider)) from error


def _unverified_audiences(provider: SocialProvider, id_token: str) -> list[str]:
    """The token's `aud`, read before verification only to pick which of our client ids
    allauth verifies it against."""
    try:
        claims = jwt.decode(id_token, options={"verify_signature": False})
    except jwt.PyJWTError as error:
        raise AuthenticationFailed(INVALID_ID_TOKEN % _params(provider)) from error
    audience = claims.get("aud")
    return [audience] if isinstance(audience, str) else [str(a) for a in audience or []]


def _oidc_apps(request: HttpRequest, provider: SocialProvider) -> list[Any]:
    """The provider's allauth apps, one per client id, the visible one (the first client id:
    it also exchanges codes) first."""
    apps = get_adapter(request).list_apps(request, provider=_OIDC_APP[provider])
    if not apps:
        raise _not_configured(provider)
    return sorted(apps, key=lambda app: bool(app.settings.get("hidden")))


def _profile_app(request: HttpRequest, provider: SocialProvider) -> Any:
    try:
        return get_adapter(request).get_app(request, provider=provider.value)
    except SocialApp.DoesNotExist:
        raise _not_configured(provider) from None


def _verify_access_token(request: HttpRequest, provider: SocialProvider, access_token: str) -> Any:
    app = _profile_app(request, provider)
    if provider == SocialProvider.KAKAO:
        _check_kakao_token_app(provider, access_token)
    return _profile_login(request, provider, app, SocialToken(token=access_token))


def _check_kakao_token_app(provider: SocialProvider, access_token: str) -> None:
    """An access token says nothing about which app it was issued to: any Kakao app the user
    signed in to could replay it here. Kakao's token info names the app (KAKAO_APP_ID); Naver
    has no such endpoint."""
    app_id = _provider_setting("kakao", "APP_ID")
    if not app_id:
        return
    headers = {"Authorization": f"Bearer {access_token}"}
    try:
        with get_adapter().get_requests_session() as session:
            response = session.get(_provider_setting("kakao", "TOKEN_INFO_URL"), headers=headers)
        if 400 <= response.status_code < 500:
            raise AuthenticationFailed(INVALID_ACCESS_TOKEN % _params(provider))
        response.raise_for_status()
        issued_to = str(response.json().get("app_id"))
    except (requests.RequestException, ValueError, AttributeError) as error:
        raise _unreachable(provider) from error
    if issued_to != app_id:
        raise AuthenticationFailed(INVALID_ACCESS_TOKEN % _params(provider))


def _profile_login(request: HttpRequest, provider: SocialProvider, app: Any, token: Any) -> Any:
    adapter = _PROFILE_ADAPTERS[provider](request)
    try:
        return adapter.complete_login(request, app, token, response={})
    except requests.HTTPError as error:
        status = error.response.status_code if error.response is not None else 0
        if 400 <= status < 500:
            raise AuthenticationFailed(INVALID_ACCESS_TOKEN % _params(provider)) from error
        raise _unreachable(provider) from error
    except requests.RequestException as error:
        raise _unreachable(provider) from error
    except (KeyError, TypeError, ValueError) as error:  # an answer without the user in it
        raise AuthenticationFailed(INVALID_ACCESS_TOKEN % _params(provider)) from error


def _verify_code(request: HttpRequest, provider: SocialProvider, credential: _Credential) -> Any:
    code, redirect_uri = credential.code, credential.redirect_uri
    code_verifier, state = credential.code_verifier, credential.state
    if provider in _PROFILE_ADAPTERS:
        app = _profile_app(request, provider)
        adapter = _PROFILE_ADAPTERS[provider](request)
        client = OAuth2Client(
            request, app.client_id, app.secret, "POST", adapter.access_token_url, redirect_uri
        )
        # Naver's token endpoint wants the `state` its authorize step was given.
        extra = {"state": state} if state else None
        data = _exchange(provider, client, code, code_verifier, extra)
        return _profile_login(request, provider, app, adapter.parse_token(data))
    app = _oidc_apps(request, provider)[0]
    adapter = OpenIDConnectOAuth2Adapter(request, _OIDC_APP[provider])
    client_class = AppleOAuth2Client if provider == SocialProvider.APPLE else OAuth2Client
    try:
        client = client_class(
            request,
            app.client_id,
            app.secret,
            adapter.access_token_method,
            adapter.access_token_url,
            redirect_uri,
            basic_auth=adapter.basic_auth,
        )
        data = _exchange(provider, client, code, code_verifier, None)
        token = adapter.parse_token(data)
        return adapter.complete_login(request, app, token, response=data)
    except OAuth2Error as error:  # the ID token in the answer did not verify
        raise AuthenticationFailed(INVALID_ID_TOKEN % _params(provider)) from error
    except requests.RequestException as error:
        raise _unreachable(provider) from error
    except KeyError as error:  # discovery without the endpoint we need
        raise _unreachable(provider) from error


def _exchange(
    provider: SocialProvider,
    client: Any,
    code: str,
    code_verifier: str,
    extra: dict[str, str] | None,
) -> dict[str, Any]:
    kwargs: dict[str, Any] = {"pkce_code_verifier": code_verifier or None}
    if extra:
        kwargs["extra_data"] = extra
    try:
        data: dict[str, Any] = client.get_access_token(code, **kwargs)
    except OAuth2Error as error:
        raise AuthenticationFailed(INVALID_CODE % _params(provider)) from error
    except ImproperlyConfigured as error:  # Apple's client secret needs the team's key
        raise _not_configured(provider) from error
    except requests.RequestException as error:
        raise _unreachable(provider) from error
    return data


def _claims(login: Any) -> dict[str, Any]:
    """The ID token's claims in allauth's extra data (a code exchange keeps them under
    `id_token`, next to `userinfo`)."""
    extra: dict[str, Any] = login.account.extra_data or {}
    nested = extra.get("id_token")
    return nested if isinstance(nested, dict) else extra


def _check_nonce(login: Any, nonce: str) -> None:
    """The app's nonce, as sent to the provider or as its SHA-256 (Apple's and Firebase's
    convention: the app sends the hash and keeps the raw value)."""
    claimed = str(_claims(login).get("nonce") or "")
    hashed = hashlib.sha256(nonce.encode()).hexdigest()
    if not claimed or claimed not in {nonce, hashed}:
        raise AuthenticationFailed(NONCE_MISMATCH)


# The one address a Naver sign-in proves: the mailbox of that Naver account.
NAVER_MAILBOX = "@naver.com"


def _identity(provider: SocialProvider, login: Any) -> _Identity:
    user = login.user
    email = normalize_email(getattr(user, "email", "") or "")
    verified = any(
        address.verified and normalize_email(address.email) == email
        for address in login.email_addresses
    )
    if provider == SocialProvider.KAKAO:
        # Kakao: an address is usable only when both flags say so (its docs).
        account = (login.account.extra_data or {}).get("kakao_account") or {}
        verified = verified and account.get("is_email_valid") is not False
    if provider == SocialProvider.NAVER:
        # Naver names a contact address it has not verified (allauth marks it verified anyway).
        # Only the Naver account's own mailbox is proven by signing in to that account.
        verified = verified and email.endswith(NAVER_MAILBOX)
    return _Identity(
        uid=str(login.account.uid),
        email=email,
        email_verified=bool(email) and verified,
        first_name=str(getattr(user, "first_name", "") or "")[:150],
        last_name=str(getattr(user, "last_name", "") or "")[:150],
        extra_data=dict(login.account.extra_data or {}),
    )


# --- linking ----------------------------------------------------------------------------------


def _link_or_create(
    provider: SocialProvider, identity: _Identity, names: tuple[str, str]
) -> SocialSignIn:
    """A concurrent first sign-in of the same identity loses the unique (provider, uid) race and
    finds the winner's link on the second try."""
    try:
        with transaction.atomic():
            return _link_or_create_once(provider, identity, names)
    except IntegrityError:
        with transaction.atomic():
            return _link_or_create_once(provider, identity, names)


def _link_or_create_once(
    provider: SocialProvider, identity: _Identity, names: tuple[str, str]
) -> SocialSignIn:
    link = (
        SocialAccount.objects.select_related("user")
        .filter(provider=provider.value, uid=identity.uid)
        .first()
    )
    if link is not None:
        _check_active(link.user)
        link.extra_data = identity.extra_data
        link.save(update_fields=["extra_data", "last_login"])
        return SocialSignIn(user=link.user, created=False)
    existing = user_find_by_email(identity.email)
    if existing is not None:
        if not identity.email_verified:
            raise Conflict(UNVERIFIED_EMAIL_TAKEN % _params(provider))
        _check_active(existing)
        _claim_unverified(existing)
        _link(provider, identity, existing)
        return SocialSignIn(user=existing, created=False)
    user = _create_user(identity, names)
    _link(provider, identity, user)
    return SocialSignIn(user=user, created=True)


def _linked(provider: SocialProvider, uid: str) -> bool:
    return bool(SocialAccount.objects.filter(provider=provider.value, uid=uid).exists())


def _check_active(user: User) -> None:
    """As password login: a deactivated account is refused, except one whose deletion can still
    be cancelled (its sign-in is good only for cancelling: `accounts.services.deletion`)."""
    if not user.is_active and account_deletion_pending(user_id=user.pk) is None:
        raise AuthenticationFailed(DEACTIVATED)


def _claim_unverified(user: User) -> None:
    """Links through a verified email to an account that never verified it: whoever registered
    it may not be the owner of the address (account pre-hijacking), so the password they set
    stops working and their sign-ins end. The owner, now verified, can set one by reset."""
    if user.email_verified:
        return
    user.email_verified = True
    fields = ["email_verified"]
    if user.has_usable_password():
        user.set_unusable_password()
        fields.append("password")
        credentials_changed_on_commit(user.pk)
    user.save(update_fields=fields)
    sign_ins_end_all(user=user)


def _create_user(identity: _Identity, names: tuple[str, str]) -> User:
    first_name, last_name = names
    username = get_account_adapter().generate_unique_username(
        [first_name, last_name, identity.email, "user"]
    )
    # A user without a password (unusable): social sign-in is its way in until it sets one.
    return User.objects.create_user(
        email=identity.email,
        password=None,
        username=username,
        first_name=first_name[:150],
        last_name=last_name[:150],
        email_verified=identity.email_verified,
    )


def _link(provider: SocialProvider, identity: _Identity, user: User) -> None:
    SocialAccount.objects.create(
        user=user, provider=provider.value, uid=identity.uid, extra_data=identity.extra_data
    )


def _record_sign_in(request: HttpRequest, user: User) -> None:
    """In the login history as a successful login, and `last_login`, as a password login (with
    two-factor authentication on, the second step records it: `mfa.mfa_login_complete`)."""
    now = timezone.now()
    User.objects.filter(pk=user.pk).update(last_login=now)
    LoginHistory.objects.create(
        user=user,
        email=user.email[:254],
        ip_address=client_ip(request),
        user_agent=user_agent(request),
        success=True,
    )


# --- linked providers -------------------------------------------------------------------------


def social_account_list(*, user: User) -> QuerySet[Any]:
    """The providers linked to `user`, oldest first. (A read: belongs in `accounts.selectors`,
    kept here while that module is shared.)"""
    links: QuerySet[Any] = SocialAccount.objects.filter(user=user).order_by("date_joined", "id")
    return links


@transaction.atomic
def social_account_unlink(*, user: User, provider: SocialProvider) -> None:
    """Removes the link when the account keeps another way in: a usable password or another
    linked provider. The user row is locked so two unlinks cannot each leave the other."""
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
    links = list(SocialAccount.objects.filter(user=user).only("id", "provider"))
    mine = [link for link in links if link.provider == provider.value]
    if not mine:
        raise NotFound(NOT_LINKED % _params(provider))
    others = [link for link in links if link.provider != provider.value]
    if not others and not user.has_usable_password():
        raise Conflict(LAST_WAY_IN % _params(provider))
    SocialAccount.objects.filter(pk__in=[link.pk for link in mine]).delete()
