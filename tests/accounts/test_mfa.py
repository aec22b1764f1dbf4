"""Two-factor authentication over the HTTP API: TOTP set-up with recovery codes, the login's
second step, and its limits (replay, single use, wrong codes, expiry, the client bound)."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from allauth.mfa.models import Authenticator
from rest_framework.test import APIClient

from accounts.models import LoginHistory, User
from tests.accounts.totp_support import settled_step, totp_code, totp_enable
from tests.conftest import signed_in_client
from tests.factories import DEFAULT_PASSWORD

pytestmark = pytest.mark.django_db

TOTP = "/api/auth/mfa/totp/"
CONFIRM = "/api/auth/mfa/totp/confirm/"
RECOVERY = "/api/auth/mfa/recovery-codes/"
LOGIN = "/api/auth/login/"
LOGIN_MFA = "/api/auth/login/mfa/"


def _error(response: Any) -> dict[str, Any]:
    return dict(response.json()["error"])


def _password_step(client: APIClient, user: User) -> str:
    response = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["mfa_required"] is True
    assert "access" not in body
    assert "refresh" not in body
    return str(body["mfa_token"])


def _signed_in_with(client: APIClient, user: User, code: str) -> Any:
    """Both steps of a login from `client`: the password, then `code`."""
    return client.post(LOGIN_MFA, {"mfa_token": _password_step(client, user), "code": code})


@pytest.fixture
def client(user: User) -> APIClient:
    return signed_in_client(user)


@pytest.fixture
def enabled(client: APIClient) -> dict[str, Any]:
    return totp_enable(client)


# --- set-up --------------------------------------------------------------------------------------


def test_set_up_answers_a_secret_uri_and_qr_code_and_turns_nothing_on(client, user):
    response = client.post(TOTP)
    assert response.status_code == 200
    body = response.json()
    uri = urlsplit(body["otpauth_uri"])
    assert (uri.scheme, uri.netloc) == ("otpauth", "totp")
    assert user.email in uri.path.replace("%40", "@")
    query = parse_qs(uri.query)
    assert query["secret"] == [body["secret"]]
    assert query["issuer"] == ["StudyMate"]
    assert "<svg" in body["qr_code_svg"]
    assert body["expires_in"] > 0
    assert client.get(TOTP).json()["enabled"] is False
    assert not Authenticator.objects.filter(user=user).exists()
    # The password alone still signs in.
    tokens = APIClient().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    assert "access" in tokens


def test_confirm_turns_totp_on_and_shows_the_recovery_codes_once(client, user):
    settled_step()
    secret = client.post(TOTP).json()["secret"]
    wrong = client.post(CONFIRM, {"code": "000000" if totp_code(secret) != "000000" else "111111"})
    assert wrong.status_code == 400
    assert "code" in _error(wrong)["fields"]
    assert client.get(TOTP).json()["enabled"] is False

    response = client.post(CONFIRM, {"code": totp_code(secret)})
    assert response.status_code == 200
    codes = response.json()["recovery_codes"]
    assert len(codes) == len(set(codes)) == 10
    assert all(len(code) == 8 and code.isdigit() for code in codes)
    state = client.get(TOTP).json()
    assert state["enabled"] is True
    assert state["recovery_codes_left"] == 10
    # Stored encrypted (allauth's adapter hook): neither the secret nor the seed in the clear.
    for row in Authenticator.objects.filter(user=user):
        stored = str(row.data)
        assert secret not in stored
        assert all(code not in stored for code in codes)
    # The set-up is used up, and a second set-up is refused while TOTP is on.
    assert client.post(CONFIRM, {"code": totp_code(secret, steps=1)}).status_code == 409
    assert client.post(TOTP).status_code == 409


def test_confirm_without_a_set_up_is_a_conflict(client):
    response = client.post(CONFIRM, {"code": "123456"})
    assert response.status_code == 409
    assert _error(response)["code"] == "conflict"


def test_a_new_set_up_replaces_the_secret(client):
    settled_step()
    first = client.post(TOTP).json()["secret"]
    second = client.post(TOTP).json()["secret"]
    assert first != second
    assert client.post(CONFIRM, {"code": totp_code(first)}).status_code == 400
    assert client.post(CONFIRM, {"code": totp_code(second)}).status_code == 200


def test_the_endpoints_need_a_signed_in_user():
    anonymous = APIClient()
    for method, url in (("get", TOTP), ("post", TOTP), ("delete", TOTP), ("post", CONFIRM)):
        assert getattr(anonymous, method)(url).status_code == 401, (method, url)
    assert anonymous.post(RECOVERY, {"code": "123456"}).status_code == 401


# --- login --------------------------------------------------------------------------------------


def test_login_asks_for_the_second_step_and_a_code_gives_the_tokens(enabled, user):
    client = APIClient()
    token = _password_step(client, user)
    response = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(enabled["secret"])})
    assert response.status_code == 200
    body = response.json()
    assert set(body) >= {"user", "access", "refresh"}
    assert body["user"]["email"] == user.email
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {body['access']}")
    assert client.get("/api/auth/profile/").status_code == 200
    assert client.get(TOTP).json()["last_used_at"] is not None


def test_the_password_alone_is_not_a_sign_in(enabled, user):
    """The login history and `last_login` record the sign-in once the code is right."""
    User.objects.filter(pk=user.pk).update(last_login=None)
    LoginHistory.objects.all().delete()
    client = APIClient()
    token = _password_step(client, user)
    assert not LoginHistory.objects.filter(user=user, success=True).exists()
    user.refresh_from_db()
    assert user.last_login is None
    response = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(enabled["secret"])})
    assert response.status_code == 200
    assert LoginHistory.objects.filter(user=user, success=True).count() == 1
    user.refresh_from_db()
    assert user.last_login is not None


def test_a_wrong_password_never_reaches_the_second_step(enabled, user):
    response = APIClient().post(LOGIN, {"email": user.email, "password": "not-the-password"})
    assert response.status_code == 401
    assert "mfa_token" not in response.json()


def test_a_totp_code_cannot_be_replayed(enabled, user):
    code = totp_code(enabled["secret"])
    assert _signed_in_with(APIClient(), user, code).status_code == 200
    replay = _signed_in_with(APIClient(), user, code)
    assert replay.status_code == 400
    assert "code" in _error(replay)["fields"]


def test_the_code_that_confirmed_the_set_up_cannot_sign_in(client, user):
    settled_step()
    secret = client.post(TOTP).json()["secret"]
    code = totp_code(secret)
    assert client.post(CONFIRM, {"code": code}).status_code == 200
    assert _signed_in_with(APIClient(), user, code).status_code == 400


def test_a_recovery_code_works_once(enabled, user, client):
    recovery = enabled["recovery_codes"][3]
    response = _signed_in_with(APIClient(), user, recovery)
    assert response.status_code == 200
    assert "access" in response.json()
    assert client.get(TOTP).json()["recovery_codes_left"] == 9
    assert _signed_in_with(APIClient(), user, recovery).status_code == 400
    # Another recovery code still works.
    assert _signed_in_with(APIClient(), user, enabled["recovery_codes"][4]).status_code == 200


def test_an_mfa_token_works_once(enabled, user):
    client = APIClient()
    token = _password_step(client, user)
    secret = enabled["secret"]
    first = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(secret)})
    assert first.status_code == 200
    again = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(secret, steps=1)})
    assert again.status_code == 401
    assert _error(again)["code"] == "authentication_failed"


def test_an_mfa_token_expires(enabled, user, settings):
    settings.ACCOUNTS_MFA_LOGIN_TOKEN_SECONDS = 1
    client = APIClient()
    token = _password_step(client, user)
    time.sleep(1.2)
    settled_step()
    response = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(enabled["secret"])})
    assert response.status_code == 401


def test_an_unknown_mfa_token_is_refused(enabled):
    response = APIClient().post(LOGIN_MFA, {"mfa_token": "made-up", "code": "123456"})
    assert response.status_code == 401
    assert _error(response)["code"] == "authentication_failed"


def test_an_mfa_token_is_bound_to_the_client_that_gave_the_password(enabled, user):
    client = APIClient(REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT="StudyMate-iOS/3.1")
    token = _password_step(client, user)
    code = totp_code(enabled["secret"])
    elsewhere = APIClient(REMOTE_ADDR="198.51.100.7", HTTP_USER_AGENT="StudyMate-iOS/3.1")
    assert elsewhere.post(LOGIN_MFA, {"mfa_token": token, "code": code}).status_code == 401
    other_app = APIClient(REMOTE_ADDR="203.0.113.5", HTTP_USER_AGENT="curl/8")
    assert other_app.post(LOGIN_MFA, {"mfa_token": token, "code": code}).status_code == 401
    # Refusing a foreign client did not use the token or the code up.
    assert client.post(LOGIN_MFA, {"mfa_token": token, "code": code}).status_code == 200


def test_an_mfa_token_dies_with_a_password_change(enabled, user):
    client = APIClient()
    token = _password_step(client, user)
    user.set_password("Another-Horse-43!")
    user.save(update_fields=["password"])
    response = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(enabled["secret"])})
    assert response.status_code == 401


def test_an_mfa_token_dies_when_the_account_is_deactivated(enabled, user):
    client = APIClient()
    token = _password_step(client, user)
    User.objects.filter(pk=user.pk).update(is_active=False)
    response = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(enabled["secret"])})
    assert response.status_code == 401


def test_wrong_codes_are_limited_per_mfa_token(enabled, user, settings):
    settings.ACCOUNTS_MFA_LOGIN_ATTEMPTS = 3
    client = APIClient()
    token = _password_step(client, user)
    answers = [
        client.post(LOGIN_MFA, {"mfa_token": token, "code": "00000000"}).status_code
        for _ in range(3)
    ]
    assert answers == [400, 400, 401]
    right = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(enabled["secret"])})
    assert right.status_code == 401
    failures = LoginHistory.objects.filter(user=user, failure_reason="invalid_mfa_code")
    assert failures.count() == 3
    # A new password step gives a new token that works.
    token = _password_step(client, user)
    right = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(enabled["secret"])})
    assert right.status_code == 200


def test_wrong_codes_count_toward_the_lockout(enabled, user, settings):
    settings.ACCOUNTS_MFA_LOGIN_ATTEMPTS = 10
    client = APIClient()
    token = _password_step(client, user)
    answers = [
        client.post(LOGIN_MFA, {"mfa_token": token, "code": "00000000"}).status_code
        for _ in range(settings.AXES_FAILURE_LIMIT)
    ]
    assert answers[:-1] == [400] * (settings.AXES_FAILURE_LIMIT - 1)
    assert answers[-1] == 403
    locked = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD})
    assert locked.status_code == 403
    assert _error(locked)["code"] == "account_locked"


def test_wrong_codes_across_tokens_and_clients_are_limited_per_account(enabled, user, settings):
    settings.ACCOUNTS_MFA_FAILURE_LIMIT = 3
    settings.AXES_FAILURE_LIMIT = 100
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        client = APIClient(REMOTE_ADDR=address)
        token = _password_step(client, user)
        assert client.post(LOGIN_MFA, {"mfa_token": token, "code": "00000000"}).status_code == 400
    client = APIClient(REMOTE_ADDR="203.0.113.4")
    token = _password_step(client, user)
    refused = client.post(LOGIN_MFA, {"mfa_token": token, "code": totp_code(enabled["secret"])})
    assert refused.status_code == 403
    assert _error(refused)["code"] == "account_locked"
    assert 0 < int(refused["Retry-After"]) <= settings.ACCOUNTS_MFA_FAILURE_WINDOW_SECONDS + 1


def test_the_second_step_fits_its_query_budget(enabled, user, django_assert_max_num_queries):
    client = APIClient()
    token = _password_step(client, user)
    code = totp_code(enabled["secret"])
    # The sign-in completes here, so its bookkeeping is here too (axes' reset of the client's
    # failures, `last_login`, the login history), not in the password step.
    with django_assert_max_num_queries(10):
        assert client.post(LOGIN_MFA, {"mfa_token": token, "code": code}).status_code == 200


# --- turning off, new recovery codes -------------------------------------------------------------


def test_turning_off_needs_the_password_or_a_code(enabled, client, user):
    assert client.delete(TOTP).status_code == 400
    wrong = client.delete(TOTP, {"password": "not-the-password"})
    assert wrong.status_code == 400
    assert "password" in _error(wrong)["fields"]
    assert client.get(TOTP).json()["enabled"] is True

    assert client.delete(TOTP, {"password": DEFAULT_PASSWORD}).status_code == 204
    assert client.get(TOTP).json() == {
        "enabled": False,
        "created_at": None,
        "last_used_at": None,
        "recovery_codes_left": 0,
    }
    assert not Authenticator.objects.filter(user=user).exists()
    assert client.delete(TOTP, {"password": DEFAULT_PASSWORD}).status_code == 409
    body = APIClient().post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}).json()
    assert "access" in body
    assert "mfa_token" not in body


def test_turning_off_with_a_current_code(enabled, client):
    settled_step()
    wrong = client.delete(TOTP, {"code": "00000000"})
    assert wrong.status_code == 400
    assert "code" in _error(wrong)["fields"]
    assert client.delete(TOTP, {"code": totp_code(enabled["secret"])}).status_code == 204
    assert client.get(TOTP).json()["enabled"] is False


def test_new_recovery_codes_replace_the_old_ones(enabled, client, user):
    settled_step()
    assert client.post(RECOVERY, {"code": "00000000"}).status_code == 400
    response = client.post(RECOVERY, {"code": totp_code(enabled["secret"])})
    assert response.status_code == 200
    fresh = response.json()["recovery_codes"]
    assert len(fresh) == 10
    assert set(fresh) != set(enabled["recovery_codes"])
    assert _signed_in_with(APIClient(), user, enabled["recovery_codes"][0]).status_code == 400
    assert _signed_in_with(APIClient(), user, fresh[0]).status_code == 200


def test_new_recovery_codes_need_totp_on(client):
    response = client.post(RECOVERY, {"code": "123456"})
    assert response.status_code == 409


def test_confirming_fits_its_query_budget(client, django_assert_max_num_queries):
    settled_step()
    secret = client.post(TOTP).json()["secret"]
    with django_assert_max_num_queries(10):
        assert client.post(CONFIRM, {"code": totp_code(secret)}).status_code == 200
