"""Social sign-in over the HTTP API (API.md: POST /api/auth/social/{provider}/), with
django-allauth's providers talking over real sockets to local stand-ins of Google, Apple, Kakao
and Naver: OIDC discovery, JWKS with a real RSA key, RS256-signed ID tokens, token endpoints
that check PKCE, user info and the Kakao and Naver profile APIs."""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount
from cryptography.hazmat.primitives import serialization
from django.core.exceptions import ImproperlyConfigured
from rest_framework.test import APIClient

from accounts.models import LoginHistory, User
from accounts.services.social import SocialProvider, social_reauthenticate
from studymate_api.core.errors import AuthenticationFailed
from studymate_api.settings.accounts import social_account_providers
from tests.accounts.totp_support import totp_enable
from tests.conftest import login_tokens, signed_in_client
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.standins.naver_api import NaverStandin
from tests.standins.oidc_api import (
    AppleStandin,
    GoogleStandin,
    KakaoStandin,
    decoded,
    unrelated_key,
)
from tests.standins.server import Reply

pytestmark = pytest.mark.django_db

PROFILE = "/api/auth/profile/"
LINKED = "/api/auth/social/"
REFRESH = "/api/auth/refresh/"

GOOGLE_WEB = "1234-web.apps.googleusercontent.com"
GOOGLE_IOS = "1234-ios.apps.googleusercontent.com"
APPLE_BUNDLE = "com.studymate.app"
APPLE_SERVICES = "com.studymate.web"
KAKAO_REST = "kakao-rest-api-key"
KAKAO_NATIVE = "kakao-native-app-key"
NAVER_ID = "naver-client-id"
NAVER_SECRET = "naver-client-secret"
GOOGLE_SECRET = "google-client-secret"
REDIRECT = "com.studymate.app:/oauth2redirect"
VERIFIER = "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"


def url(provider: str) -> str:
    return f"/api/auth/social/{provider}/"


def _error(response: Any) -> dict[str, Any]:
    body = response.json()
    assert set(body) == {"error"}, body
    return dict(body["error"])


# --- stand-ins and configuration ------------------------------------------------------------------


@pytest.fixture
def google() -> Iterator[GoogleStandin]:
    with GoogleStandin(client_id=GOOGLE_WEB, client_secret=GOOGLE_SECRET) as api:
        yield api


@pytest.fixture
def apple() -> Iterator[AppleStandin]:
    with AppleStandin(client_id=APPLE_BUNDLE) as api:
        yield api


@pytest.fixture
def kakao() -> Iterator[KakaoStandin]:
    with KakaoStandin(client_id=KAKAO_REST) as api:
        yield api


@pytest.fixture
def naver() -> Iterator[NaverStandin]:
    with NaverStandin(client_id=NAVER_ID, client_secret=NAVER_SECRET) as api:
        yield api


def _environment(
    google: GoogleStandin, apple: AppleStandin, kakao: KakaoStandin, naver: NaverStandin
) -> dict[str, str]:
    """The environment a deployment would set, with every provider's hosts at its stand-in."""
    apple_key = apple.team_key.private_bytes(
        serialization.Encoding.PEM,
        serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ).decode()
    return {
        "GOOGLE_CLIENT_ID": f"{GOOGLE_WEB}, {GOOGLE_IOS}",
        "GOOGLE_CLIENT_SECRET": GOOGLE_SECRET,
        "SOCIAL_GOOGLE_BASE_URL": google.origin,
        "APPLE_CLIENT_ID": f"{APPLE_BUNDLE},{APPLE_SERVICES}",
        "APPLE_TEAM_ID": apple.team_id,
        "APPLE_KEY_ID": apple.key_id,
        "APPLE_PRIVATE_KEY": apple_key,
        "SOCIAL_APPLE_BASE_URL": apple.origin,
        "KAKAO_REST_API_KEY": KAKAO_REST,
        "KAKAO_CLIENT_ID": KAKAO_NATIVE,
        "KAKAO_APP_ID": str(kakao.app_id),
        "SOCIAL_KAKAO_BASE_URL": kakao.origin,
        "NAVER_CLIENT_ID": NAVER_ID,
        "NAVER_CLIENT_SECRET": NAVER_SECRET,
        "SOCIAL_NAVER_BASE_URL": naver.origin,
    }


@pytest.fixture
def environment(settings, google, apple, kakao, naver) -> dict[str, str]:
    values = _environment(google, apple, kakao, naver)
    settings.SOCIALACCOUNT_PROVIDERS = social_account_providers(values)
    return values


@pytest.fixture
def client(environment) -> APIClient:
    return APIClient()


def _sign_in(client: APIClient, provider: str, **body: Any) -> Any:
    return client.post(url(provider), body, format="json")


def _signed_in(response: Any) -> dict[str, Any]:
    assert response.status_code == 200, response.content
    body = dict(response.json())
    assert set(body) >= {"user", "access", "refresh", "created"}
    return body


def _profile_with(access: str) -> Any:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client.get(PROFILE)


# --- Google ---------------------------------------------------------------------------------------


class TestGoogleIdToken:
    def test_a_new_identity_creates_a_verified_account_with_a_working_token_pair(
        self, client, google
    ):
        token = google.id_token(
            sub="g-100", email="Minji@Gmail.com", given_name="Minji", family_name="Kim"
        )
        body = _signed_in(_sign_in(client, "google", id_token=token))
        assert body["created"] is True
        assert body["user"]["email"] == "minji@gmail.com"
        assert body["user"]["first_name"] == "Minji"
        profile = _profile_with(body["access"])
        assert profile.status_code == 200
        assert profile.json()["email"] == "minji@gmail.com"
        refreshed = client.post(REFRESH, {"refresh": body["refresh"]}, format="json")
        assert refreshed.status_code == 200
        user = User.objects.get(email="minji@gmail.com")
        assert user.email_verified is True
        assert not user.has_usable_password()
        assert user.username  # generated, unique
        link = SocialAccount.objects.get(user=user)
        assert (link.provider, link.uid) == ("google", "g-100")
        assert LoginHistory.objects.filter(user=user, success=True).count() == 1
        # allauth fetched discovery and the keys from the stand-in over the wire.
        assert google.hits("/.well-known/openid-configuration")
        assert google.hits("/oauth2/v3/certs")

    def test_the_same_identity_signs_in_to_the_same_account(self, client, google):
        first = _signed_in(
            _sign_in(client, "google", id_token=google.id_token(sub="g-1", email="a@x.com"))
        )
        # A later token may carry another address: the link, not the email, decides.
        token = google.id_token(sub="g-1", email="renamed@x.com")
        again = _signed_in(_sign_in(client, "google", id_token=token))
        assert again["created"] is False
        assert again["user"]["id"] == first["user"]["id"]
        assert User.objects.count() == 1

    def test_an_id_token_for_another_configured_client_is_accepted(self, client, google):
        token = google.id_token(sub="g-ios", email="ios@x.com", aud=GOOGLE_IOS)
        assert _signed_in(_sign_in(client, "google", id_token=token))["created"] is True

    @pytest.mark.parametrize(
        "problem",
        ["wrong_audience", "expired", "bad_signature", "unknown_kid", "wrong_issuer", "garbage"],
    )
    def test_a_token_that_does_not_verify_is_refused(self, client, google, problem):
        kwargs: dict[str, Any] = {"sub": "g-bad", "email": "bad@x.com"}
        if problem == "wrong_audience":
            kwargs["aud"] = "someone-elses-app.apps.googleusercontent.com"
        elif problem == "expired":
            kwargs["expires_in"] = -3600
        elif problem == "bad_signature":
            kwargs["key"] = unrelated_key()  # same kid, another key
        elif problem == "unknown_kid":
            kwargs.update(key=unrelated_key(), kid="rotated-away")
        elif problem == "wrong_issuer":
            kwargs["iss"] = "https://evil.example.com"
        token = "not.a.jwt" if problem == "garbage" else google.id_token(**kwargs)
        response = _sign_in(client, "google", id_token=token)
        assert response.status_code == 401
        assert _error(response)["code"] == "authentication_failed"
        assert not User.objects.filter(email="bad@x.com").exists()
        assert not SocialAccount.objects.exists()

    def test_the_nonce_must_match_raw_or_hashed(self, client, google):
        raw = "n-0S6_WzA2Mj-raw-nonce"
        hashed = hashlib.sha256(raw.encode()).hexdigest()
        plain = google.id_token(sub="g-n1", email="n1@x.com", nonce=raw)
        assert _sign_in(client, "google", id_token=plain, nonce=raw).status_code == 200
        apple_style = google.id_token(sub="g-n2", email="n2@x.com", nonce=hashed)
        assert _sign_in(client, "google", id_token=apple_style, nonce=raw).status_code == 200
        other = google.id_token(sub="g-n3", email="n3@x.com", nonce="another")
        response = _sign_in(client, "google", id_token=other, nonce=raw)
        assert response.status_code == 401
        missing = google.id_token(sub="g-n4", email="n4@x.com")
        assert _sign_in(client, "google", id_token=missing, nonce=raw).status_code == 401
        assert not User.objects.filter(email__in=["n3@x.com", "n4@x.com"]).exists()

    def test_google_does_not_take_an_access_token(self, client):
        response = _sign_in(client, "google", access_token="ya29.token")
        assert response.status_code == 400
        assert list(_error(response)["fields"]) == ["access_token"]

    def test_exactly_one_credential(self, client, google):
        token = google.id_token(sub="g-2", email="two@x.com")
        response = _sign_in(client, "google", id_token=token, code="abc", redirect_uri=REDIRECT)
        assert response.status_code == 400
        assert set(_error(response)["fields"]) == {"id_token", "code"}
        response = _sign_in(client, "google")
        assert response.status_code == 400

    def test_unknown_provider_is_404(self, client):
        response = _sign_in(client, "facebook", access_token="x")
        assert response.status_code == 404
        assert _error(response)["code"] == "not_found"

    def test_a_sign_in_of_a_linked_user_stays_within_its_query_budget(
        self, client, google, django_assert_max_num_queries
    ):
        _signed_in(_sign_in(client, "google", id_token=google.id_token(sub="g-q", email="q@x.com")))
        token = google.id_token(sub="g-q", email="q@x.com")
        with django_assert_max_num_queries(12):
            _signed_in(_sign_in(client, "google", id_token=token))


class TestLinkingByEmail:
    def test_a_verified_provider_email_links_to_the_verified_account(self, client, google):
        owner = UserFactory.create(email="owner@x.com", email_verified=True)
        token = google.id_token(sub="g-owner", email="OWNER@x.com", email_verified=True)
        body = _signed_in(_sign_in(client, "google", id_token=token))
        assert body["created"] is False
        assert body["user"]["id"] == owner.pk
        owner.refresh_from_db()
        assert owner.check_password(DEFAULT_PASSWORD)  # their password still works
        assert SocialAccount.objects.get(provider="google", uid="g-owner").user == owner

    def test_linking_an_account_that_never_verified_its_email_ends_the_registrants_access(
        self, client, google
    ):
        # Someone registered the address with a password before its owner signed in.
        squatter = UserFactory.create(email="victim@x.com", email_verified=False)
        squatter_tokens = login_tokens(APIClient(), "victim@x.com")
        token = google.id_token(sub="g-victim", email="victim@x.com", email_verified=True)
        body = _signed_in(_sign_in(client, "google", id_token=token))
        assert body["user"]["id"] == squatter.pk
        squatter.refresh_from_db()
        assert squatter.email_verified is True
        assert not squatter.has_usable_password()
        assert _profile_with(squatter_tokens["access"]).status_code == 401
        refresh = client.post(REFRESH, {"refresh": squatter_tokens["refresh"]}, format="json")
        assert refresh.status_code == 401
        assert _profile_with(body["access"]).status_code == 200

    @pytest.mark.parametrize("flag", [False, "false", None])
    def test_an_unverified_provider_email_never_links(self, client, google, flag):
        owner = UserFactory.create(email="owner@x.com", email_verified=True)
        token = google.id_token(sub="g-unverified", email="owner@x.com", email_verified=flag)
        response = _sign_in(client, "google", id_token=token)
        assert response.status_code == 409
        error = _error(response)
        assert error["code"] == "conflict"
        assert "password" in error["message"].lower() or "비밀번호" in error["message"]
        assert not SocialAccount.objects.exists()
        assert User.objects.get() == owner

    def test_an_unverified_provider_email_of_nobody_creates_an_unverified_account(
        self, client, google
    ):
        token = google.id_token(sub="g-new", email="fresh@x.com", email_verified=False)
        body = _signed_in(_sign_in(client, "google", id_token=token))
        assert body["created"] is True
        assert User.objects.get(email="fresh@x.com").email_verified is False

    def test_a_deactivated_account_is_refused(self, client, google):
        UserFactory.create(email="gone@x.com", email_verified=True, is_active=False)
        token = google.id_token(sub="g-gone", email="gone@x.com")
        response = _sign_in(client, "google", id_token=token)
        assert response.status_code == 401
        assert _error(response)["code"] == "authentication_failed"
        assert not SocialAccount.objects.exists()

    def test_a_deactivated_linked_account_is_refused(self, client, google):
        body = _signed_in(
            _sign_in(client, "google", id_token=google.id_token(sub="g-d", email="d@x.com"))
        )
        User.objects.filter(pk=body["user"]["id"]).update(is_active=False)
        response = _sign_in(client, "google", id_token=google.id_token(sub="g-d", email="d@x.com"))
        assert response.status_code == 401


class TestGoogleCode:
    def test_a_code_with_its_pkce_verifier_signs_in(self, client, google):
        claims = {"sub": "g-code", "email": "code@x.com", "email_verified": True}
        code = google.grant(code_verifier=VERIFIER, redirect_uri=REDIRECT, claims=claims)
        response = _sign_in(
            client, "google", code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER
        )
        body = _signed_in(response)
        assert body["created"] is True
        assert SocialAccount.objects.get(user__email="code@x.com").uid == "g-code"
        (exchange,) = google.hits("/token")
        sent = dict(item.split("=", 1) for item in exchange.body.decode().split("&"))
        assert sent["code_verifier"] == VERIFIER
        assert sent["client_id"] == GOOGLE_WEB
        assert google.hits("/v1/userinfo")  # allauth's OIDC adapter read user info too

    def test_a_wrong_verifier_is_refused(self, client, google):
        claims = {"sub": "g-pkce", "email": "pkce@x.com"}
        code = google.grant(code_verifier=VERIFIER, redirect_uri=REDIRECT, claims=claims)
        wrong = "x" * 43
        response = _sign_in(client, "google", code=code, redirect_uri=REDIRECT, code_verifier=wrong)
        assert response.status_code == 401
        assert "code_verifier" in _error(response)["message"]
        assert not User.objects.filter(email="pkce@x.com").exists()

    def test_a_code_is_single_use(self, client, google):
        claims = {"sub": "g-once", "email": "once@x.com"}
        code = google.grant(code_verifier=VERIFIER, redirect_uri=REDIRECT, claims=claims)
        body = {"code": code, "redirect_uri": REDIRECT, "code_verifier": VERIFIER}
        assert _sign_in(client, "google", **body).status_code == 200
        assert _sign_in(client, "google", **body).status_code == 401

    def test_a_code_needs_its_verifier_and_redirect_uri(self, client):
        response = _sign_in(client, "google", code="c", redirect_uri=REDIRECT)
        assert response.status_code == 400
        assert list(_error(response)["fields"]) == ["code_verifier"]
        response = _sign_in(client, "google", code="c", code_verifier=VERIFIER)
        assert list(_error(response)["fields"]) == ["redirect_uri"]


# --- Apple ----------------------------------------------------------------------------------------


class TestApple:
    def test_id_token_with_a_private_relay_address_then_without_email(self, client, apple):
        relay = "x7f2abcd@privaterelay.appleid.com"
        first = apple.id_token(
            sub="001234.abcd.0101",
            email=relay,
            email_verified="true",  # Apple sends strings
            is_private_email="true",
            nonce=hashlib.sha256(b"raw-nonce").hexdigest(),
        )
        response = _sign_in(
            client, "apple", id_token=first, nonce="raw-nonce", first_name="지수", last_name="박"
        )
        body = _signed_in(response)
        assert body["created"] is True
        assert body["user"]["email"] == relay
        assert (body["user"]["first_name"], body["user"]["last_name"]) == ("지수", "박")
        assert User.objects.get(email=relay).email_verified is True
        # Later sign-ins carry no email: the link finds the account.
        later = apple.id_token(sub="001234.abcd.0101", email=None)
        again = _signed_in(_sign_in(client, "apple", id_token=later))
        assert (again["created"], again["user"]["id"]) == (False, body["user"]["id"])
        assert apple.hits("/auth/keys")

    def test_the_services_id_is_an_accepted_audience_and_others_are_not(self, client, apple):
        web = apple.id_token(sub="a-web", email="w@x.com", aud=APPLE_SERVICES)
        assert _sign_in(client, "apple", id_token=web).status_code == 200
        other = apple.id_token(sub="a-other", email="o@x.com", aud="com.other.app")
        assert _sign_in(client, "apple", id_token=other).status_code == 401

    def test_a_first_sign_in_without_email_is_a_field_error(self, client, apple):
        response = _sign_in(client, "apple", id_token=apple.id_token(sub="a-none", email=None))
        assert response.status_code == 400
        assert list(_error(response)["fields"]) == ["id_token"]
        assert not User.objects.exists()

    def test_a_code_is_exchanged_with_a_client_secret_signed_by_the_team_key(self, client, apple):
        claims = {"sub": "a-code", "email": "ac@x.com", "email_verified": "true"}
        code = apple.grant(code_verifier=VERIFIER, redirect_uri=REDIRECT, claims=claims)
        response = _sign_in(
            client, "apple", code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER
        )
        body = _signed_in(response)
        assert body["user"]["email"] == "ac@x.com"
        (exchange,) = apple.hits("/auth/token")
        secret = dict(i.split("=", 1) for i in exchange.body.decode().split("&"))["client_secret"]
        assert decoded(secret)["iss"] == apple.team_id

    def test_a_code_without_the_team_key_configured_is_503(
        self, settings, environment, client, apple
    ):
        without_key = {**environment, "APPLE_PRIVATE_KEY": ""}
        settings.SOCIALACCOUNT_PROVIDERS = social_account_providers(without_key)
        claims = {"sub": "a-nokey", "email": "nk@x.com"}
        code = apple.grant(code_verifier=VERIFIER, redirect_uri=REDIRECT, claims=claims)
        response = _sign_in(
            client, "apple", code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER
        )
        assert response.status_code == 503
        assert _error(response)["code"] == "service_unavailable"


# --- Kakao ----------------------------------------------------------------------------------------


class TestKakao:
    def test_access_token_reads_the_profile(self, client, kakao):
        kakao.kakao_user(access_token="kakao-at-1", id=3141592653, email="kakao@kakao.com")
        body = _signed_in(_sign_in(client, "kakao", access_token="kakao-at-1"))
        assert body["created"] is True
        user = User.objects.get(email="kakao@kakao.com")
        assert user.email_verified is True
        assert SocialAccount.objects.get(user=user).uid == "3141592653"
        (profile_call,) = kakao.hits("/v2/user/me")
        assert profile_call.headers["authorization"] == "Bearer kakao-at-1"
        assert kakao.hits("/v1/user/access_token_info")  # issued to our app
        assert _profile_with(body["access"]).status_code == 200

    def test_the_id_token_of_the_native_app_finds_the_same_user(self, client, kakao):
        kakao.kakao_user(access_token="kakao-at-2", id=42, email="same@kakao.com")
        first = _signed_in(_sign_in(client, "kakao", access_token="kakao-at-2"))
        # Kakao's ID token: sub is the user id, aud the native app key, no email_verified.
        token = kakao.id_token(
            sub="42", email="same@kakao.com", email_verified=None, aud=KAKAO_NATIVE
        )
        again = _signed_in(_sign_in(client, "kakao", id_token=token))
        assert (again["created"], again["user"]["id"]) == (False, first["user"]["id"])
        assert kakao.hits("/.well-known/jwks.json")

    def test_an_unverified_kakao_email_does_not_link(self, client, kakao):
        UserFactory.create(email="taken@kakao.com", email_verified=True)
        kakao.kakao_user(access_token="kakao-at-3", id=7, email="taken@kakao.com", verified=False)
        response = _sign_in(client, "kakao", access_token="kakao-at-3")
        assert response.status_code == 409
        kakao.kakao_user(
            access_token="kakao-at-4", id=8, email="taken@kakao.com", verified=True, valid=False
        )
        assert _sign_in(client, "kakao", access_token="kakao-at-4").status_code == 409
        assert not SocialAccount.objects.exists()

    def test_an_access_token_issued_to_another_kakao_app_is_refused(self, client, kakao):
        kakao.kakao_user(access_token="kakao-at-foreign", id=66, email="foreign@kakao.com")
        kakao.foreign_tokens["kakao-at-foreign"] = 7654321
        response = _sign_in(client, "kakao", access_token="kakao-at-foreign")
        assert response.status_code == 401
        assert not kakao.hits("/v2/user/me")
        assert not User.objects.exists()

    def test_an_access_token_kakao_refuses_is_401(self, client, kakao):
        response = _sign_in(client, "kakao", access_token="expired-token")
        assert response.status_code == 401
        assert _error(response)["code"] == "authentication_failed"

    def test_kakao_down_is_503(self, client, kakao):
        kakao.enqueue(Reply(502, {"msg": "bad gateway"}))
        response = _sign_in(client, "kakao", access_token="kakao-at-x")
        assert response.status_code == 503
        assert _error(response)["code"] == "service_unavailable"

    def test_no_email_shared_for_a_new_account_is_a_field_error(self, client, kakao):
        kakao.kakao_user(access_token="kakao-at-5", id=9, email=None)
        response = _sign_in(client, "kakao", access_token="kakao-at-5")
        assert response.status_code == 400
        assert list(_error(response)["fields"]) == ["access_token"]
        assert not User.objects.exists()

    def test_a_code_with_pkce_reads_the_profile_of_its_token(self, client, kakao):
        profile = kakao.kakao_profile(id=555, email="code@kakao.com")
        code = kakao.grant(
            code_verifier=VERIFIER, redirect_uri=REDIRECT, claims={"sub": "555"}, userinfo=profile
        )
        response = _sign_in(
            client, "kakao", code=code, redirect_uri=REDIRECT, code_verifier=VERIFIER
        )
        assert _signed_in(response)["user"]["email"] == "code@kakao.com"
        assert SocialAccount.objects.get(provider="kakao").uid == "555"
        wrong = kakao.grant(
            code_verifier=VERIFIER, redirect_uri=REDIRECT, claims={"sub": "556"}, userinfo=profile
        )
        response = _sign_in(
            client, "kakao", code=wrong, redirect_uri=REDIRECT, code_verifier="y" * 43
        )
        assert response.status_code == 401


# --- Naver ----------------------------------------------------------------------------------------


class TestNaver:
    def test_access_token_reads_the_profile(self, client, naver):
        naver.naver_user(access_token="naver-at-1", id="32742776", email="openapi@naver.com")
        body = _signed_in(_sign_in(client, "naver", access_token="naver-at-1"))
        assert body["created"] is True
        assert body["user"]["email"] == "openapi@naver.com"
        assert SocialAccount.objects.get(provider="naver").uid == "32742776"
        assert naver.hits("/v1/nid/me")[0].headers["authorization"] == "Bearer naver-at-1"

    def test_only_a_naver_mailbox_counts_as_verified(self, client, naver):
        """Naver passes on a contact address it never verified: it links no account."""
        owner = UserFactory.create(email="owner@x.com", email_verified=True)
        naver.naver_user(access_token="n-contact", id="n-contact", email="owner@x.com")
        response = _sign_in(client, "naver", access_token="n-contact")
        assert response.status_code == 409
        assert not SocialAccount.objects.filter(user=owner).exists()
        mailbox = UserFactory.create(email="owner@naver.com", email_verified=True)
        naver.naver_user(access_token="n-box", id="n-box", email="owner@naver.com")
        body = _signed_in(_sign_in(client, "naver", access_token="n-box"))
        assert (body["created"], body["user"]["id"]) == (False, mailbox.pk)

    def test_a_refused_token_is_401(self, client, naver):
        response = _sign_in(client, "naver", access_token="nope")
        assert response.status_code == 401

    def test_a_code_with_its_state(self, client, naver):
        code = naver.grant(state="st-1", id="n-code", email="ncode@naver.com")
        response = _sign_in(client, "naver", code=code, redirect_uri=REDIRECT, state="st-1")
        assert _signed_in(response)["user"]["email"] == "ncode@naver.com"
        code = naver.grant(state="st-2", id="n-code2", email="ncode2@naver.com")
        response = _sign_in(client, "naver", code=code, redirect_uri=REDIRECT, state="forged")
        assert response.status_code == 401

    def test_naver_does_not_issue_id_tokens(self, client):
        response = _sign_in(client, "naver", id_token="a.b.c")
        assert response.status_code == 400
        assert list(_error(response)["fields"]) == ["id_token"]


# --- configuration --------------------------------------------------------------------------------


class TestConfiguration:
    @pytest.mark.parametrize(
        ("provider", "body"),
        [
            ("google", {"id_token": "a.b.c"}),
            ("apple", {"id_token": "a.b.c"}),
            ("kakao", {"access_token": "t"}),
            ("naver", {"access_token": "t"}),
        ],
    )
    def test_an_unconfigured_provider_is_503_naming_it(self, settings, provider, body):
        settings.SOCIALACCOUNT_PROVIDERS = social_account_providers({})
        response = APIClient().post(url(provider), body, format="json", HTTP_ACCEPT_LANGUAGE="en")
        assert response.status_code == 503
        error = _error(response)
        assert error["code"] == "service_unavailable"
        assert provider.capitalize() in error["message"]

    def test_a_base_url_that_is_not_a_url_fails_naming_the_variable(self):
        with pytest.raises(ImproperlyConfigured, match="SOCIAL_NAVER_BASE_URL"):
            social_account_providers({"SOCIAL_NAVER_BASE_URL": "localhost:9000"})

    def test_the_real_hosts_without_overrides(self):
        providers = social_account_providers({"GOOGLE_CLIENT_ID": "a,b", "KAKAO_REST_API_KEY": "k"})
        apps = providers["openid_connect"]["APPS"]
        google = [app for app in apps if app["provider_id"] == "google"]
        assert [app["client_id"] for app in google] == ["a", "b"]
        assert [app["settings"]["hidden"] for app in google] == [False, True]
        assert google[0]["settings"]["server_url"] == "https://accounts.google.com"
        assert providers["kakao"]["PROFILE_URL"] == "https://kapi.kakao.com/v2/user/me"
        assert providers["naver"]["APPS"] == []


# --- linked providers and unlinking ---------------------------------------------------------------


class TestLinkedProviders:
    def _social_user(self, client, google, sub="g-u", email="u@x.com") -> tuple[User, APIClient]:
        body = _signed_in(
            _sign_in(client, "google", id_token=google.id_token(sub=sub, email=email))
        )
        signed_in = APIClient()
        signed_in.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
        return User.objects.get(pk=body["user"]["id"]), signed_in

    def test_list(self, client, google, kakao):
        user, me = self._social_user(client, google)
        kakao.kakao_user(access_token="k-list", id=1001, email="u@x.com")
        assert _sign_in(client, "kakao", access_token="k-list").json()["user"]["id"] == user.pk
        response = me.get(LINKED)
        assert response.status_code == 200
        page = response.json()
        assert page["count"] == 2
        assert [item["provider"] for item in page["results"]] == ["google", "kakao"]
        assert page["results"][1]["email"] == "u@x.com"
        assert set(page["results"][0]) == {"provider", "email", "linked_at", "last_used_at"}
        assert APIClient().get(LINKED).status_code == 401

    def test_the_only_way_in_cannot_be_unlinked(self, client, google):
        user, me = self._social_user(client, google)
        response = me.delete(url("google"))
        assert response.status_code == 409
        assert _error(response)["code"] == "conflict"
        assert SocialAccount.objects.filter(user=user).count() == 1

    def test_unlinking_when_another_provider_remains(self, client, google, naver):
        user, me = self._social_user(client, google, email="u@naver.com")
        naver.naver_user(access_token="n-u", id="n-u", email="u@naver.com")
        assert _sign_in(client, "naver", access_token="n-u").status_code == 200
        assert me.delete(url("google")).status_code == 204
        assert list(SocialAccount.objects.filter(user=user).values_list("provider", flat=True)) == [
            "naver"
        ]
        assert me.delete(url("naver")).status_code == 409
        # Signing in with Google again now creates nothing new: the email links it back.
        again = _signed_in(
            _sign_in(client, "google", id_token=google.id_token(sub="g-u", email="u@naver.com"))
        )
        assert (again["created"], again["user"]["id"]) == (False, user.pk)

    def test_an_account_with_a_password_can_unlink_its_only_provider(self, client, google):
        owner = UserFactory.create(email="pw@x.com", email_verified=True)
        _signed_in(
            _sign_in(client, "google", id_token=google.id_token(sub="g-pw", email="pw@x.com"))
        )
        me = signed_in_client(owner)
        assert me.delete(url("google")).status_code == 204
        assert not SocialAccount.objects.filter(user=owner).exists()
        response = me.delete(url("google"))
        assert response.status_code == 404
        assert _error(response)["code"] == "not_found"

    def test_unlinking_needs_a_signed_in_user(self, client):
        response = client.delete(url("google"))
        assert response.status_code == 401


# --- services: a fresh proof of identity for an account without a password ------------------------


class TestReauthenticate:
    def test_a_linked_identity_proves_the_user_and_another_does_not(self, client, google, rf):
        body = _signed_in(
            _sign_in(client, "google", id_token=google.id_token(sub="g-re", email="re@x.com"))
        )
        user = User.objects.get(pk=body["user"]["id"])
        fresh = google.id_token(sub="g-re", email="re@x.com")
        social_reauthenticate(
            request=rf.post("/"), user=user, provider=SocialProvider.GOOGLE, id_token=fresh
        )
        someone_else = google.id_token(sub="g-other", email="other@x.com")
        with pytest.raises(AuthenticationFailed):
            social_reauthenticate(
                request=rf.post("/"),
                user=user,
                provider=SocialProvider.GOOGLE,
                id_token=someone_else,
            )
        expired = google.id_token(sub="g-re", email="re@x.com", expires_in=-600)
        with pytest.raises(AuthenticationFailed):
            social_reauthenticate(
                request=rf.post("/"), user=user, provider=SocialProvider.GOOGLE, id_token=expired
            )
        assert User.objects.count() == 1


# --- as password login: two-factor and a pending deletion -----------------------------------------


class TestLikeLogin:
    def test_with_totp_on_the_answer_is_the_second_step(self, client, google):
        first = _signed_in(
            _sign_in(client, "google", id_token=google.id_token(sub="g-mfa", email="m@x.com"))
        )
        me = APIClient()
        me.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")
        totp_enable(me)
        response = _sign_in(
            client, "google", id_token=google.id_token(sub="g-mfa", email="m@x.com")
        )
        assert response.status_code == 200
        body = response.json()
        assert body["mfa_required"] is True
        assert body["mfa_token"]
        assert "access" not in body
        assert "refresh" not in body

    def test_a_social_account_signs_in_to_cancel_its_deletion(self, client, google):
        token = google.id_token(sub="g-del", email="del@x.com")
        first = _signed_in(_sign_in(client, "google", id_token=token))
        me = APIClient()
        me.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")
        assert me.post("/api/auth/account/delete/", {}, format="json").status_code == 202
        assert _profile_with(first["access"]).status_code == 401
        again = _sign_in(client, "google", id_token=google.id_token(sub="g-del", email="del@x.com"))
        body = _signed_in(again)
        assert body["deletion_scheduled_at"]
        cancel = APIClient()
        cancel.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
        assert cancel.post("/api/auth/account/delete/cancel/").status_code == 204
        assert _profile_with(body["access"]).status_code == 200
