"""Password reset by mailed code, over HTTP with a real SMTP server on loopback: the same 202
for known and unknown addresses, codes that work once and expire, throttles per address and per
client, every sign-in ended on success, the lockout lifted, and mail in Korean and English."""

from __future__ import annotations

import datetime
from typing import Any

import pytest
import time_machine
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from studymate_api.core.models import DomainEvent
from tests.accounts.mail_codes import (
    Send,
    code_in,
    last_code,
    sender,
    stored_rows_containing,
    subject_of,
    text_of,
)
from tests.conftest import login_tokens
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailserver import Mailbox

RESET = "/api/auth/password/reset/"
CONFIRM = "/api/auth/password/reset/confirm/"
LOGIN = "/api/auth/login/"
NEW_PASSWORD = "quiet-Harbor-77?"
UNKNOWN = "nobody-here@example.com"
# Headers that differ between any two responses whatever they answer.
_PER_RESPONSE = {"Date", "X-Request-ID", "traceparent"}


@pytest.fixture(autouse=True)
def _celery_in_process(celery_in_process: None) -> None:
    """The code is issued and mailed by a Celery task: it runs in this process."""


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Send:
    return sender(django_capture_on_commit_callbacks)


def _learner(language: str = "ko") -> User:
    user = UserFactory.create()
    user.profile.preferred_language = language
    user.profile.save(update_fields=["preferred_language"])
    return user


def _confirm(email: str, code: str, password: str = NEW_PASSWORD) -> Any:
    body = {"email": email, "code": code, "new_password": password}
    return APIClient().post(CONFIRM, body, format="json")


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def _headers(response: Any) -> dict[str, str]:
    return {name: value for name, value in response.items() if name not in _PER_RESPONSE}


# --- the request: no enumeration ----------------------------------------------------------------


@pytest.mark.django_db
def test_known_and_unknown_addresses_get_the_same_answer(mailbox: Mailbox, send: Send) -> None:
    user = _learner()

    known = send(APIClient(), RESET, {"email": user.email})
    unknown = send(APIClient(), RESET, {"email": UNKNOWN})

    assert known.status_code == unknown.status_code == 202
    assert known.content == unknown.content == b""
    assert _headers(known) == _headers(unknown)
    assert known["Location"] == "http://testserver/api/auth/password/reset/confirm/"
    # Only the account's address gets a mail.
    assert len(mailbox.to(user.email)) == 1
    assert mailbox.to(UNKNOWN) == []
    assert len(mailbox.messages) == 1


@pytest.mark.django_db
def test_an_inactive_account_gets_no_code(mailbox: Mailbox, send: Send) -> None:
    user = UserFactory.create(is_active=False)

    assert send(APIClient(), RESET, {"email": user.email}).status_code == 202
    assert mailbox.messages == []


@pytest.mark.django_db
def test_the_request_costs_the_same_queries_known_or_unknown(
    send: Send, mailbox: Mailbox, django_assert_num_queries: Any
) -> None:
    user = _learner()
    # No query at all in the request: the account is looked up by the task, after the answer.
    with django_assert_num_queries(0):
        assert APIClient().post(RESET, {"email": user.email}, format="json").status_code == 202
    with django_assert_num_queries(0):
        assert APIClient().post(RESET, {"email": UNKNOWN}, format="json").status_code == 202


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"email": "not-an-address"}, {"email": ""}])
def test_a_malformed_address_is_a_400(body: dict[str, Any]) -> None:
    response = APIClient().post(RESET, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


# --- the code -----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_korean_mail_carries_a_code_that_sets_the_new_password(
    mailbox: Mailbox, send: Send
) -> None:
    user = _learner("ko")
    send(APIClient(), RESET, {"email": user.email})
    (mail,) = mailbox.to(user.email)
    assert subject_of(mail).startswith("StudyMate 비밀번호 재설정 코드")
    assert f"{user.first_name}님, 안녕하세요." in text_of(mail)
    code = code_in(mail)

    response = _confirm(user.email.upper(), code)

    assert response.status_code == 204, response.content
    login_tokens(APIClient(), user.email, NEW_PASSWORD)
    refused = APIClient().post(
        LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert refused.status_code == 401


@pytest.mark.django_db
def test_an_english_profile_gets_the_english_mail(mailbox: Mailbox, send: Send) -> None:
    user = _learner("en")
    send(APIClient(), RESET, {"email": user.email})

    (mail,) = mailbox.to(user.email)
    assert subject_of(mail) == f"{code_in(mail)} is your StudyMate password reset code"
    assert "your password stays as it is" in text_of(mail)


@pytest.mark.django_db
def test_a_code_works_once(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    send(APIClient(), RESET, {"email": user.email})
    code = last_code(mailbox, user.email)

    assert _confirm(user.email, code).status_code == 204
    again = _confirm(user.email, code, password="other-Harbor-88?")

    assert again.status_code == 400
    assert list(again.json()["error"]["fields"]) == ["code"]
    login_tokens(APIClient(), user.email, NEW_PASSWORD)


@pytest.mark.django_db
def test_a_code_expires(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    send(APIClient(), RESET, {"email": user.email})
    code = last_code(mailbox, user.email)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=16), tick=False):
        assert _confirm(user.email, code).status_code == 400
    login_tokens(APIClient(), user.email)  # the old password still works


@pytest.mark.django_db
def test_wrong_codes_are_limited(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    send(APIClient(), RESET, {"email": user.email})
    code = last_code(mailbox, user.email)
    for _ in range(5):
        assert _confirm(user.email, _other(code)).status_code == 400

    assert _confirm(user.email, code).status_code == 400
    login_tokens(APIClient(), user.email)


@pytest.mark.django_db
def test_an_unknown_address_is_the_same_400_as_a_wrong_code(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    send(APIClient(), RESET, {"email": user.email})
    code = last_code(mailbox, user.email)

    wrong = _confirm(user.email, _other(code))
    unknown = _confirm(UNKNOWN, code)

    assert wrong.status_code == unknown.status_code == 400
    assert wrong.json() == unknown.json()


@pytest.mark.django_db
def test_a_code_is_bound_to_its_address(mailbox: Mailbox, send: Send) -> None:
    user, other = _learner(), _learner()
    send(APIClient(), RESET, {"email": user.email})
    code = last_code(mailbox, user.email)

    assert _confirm(other.email, code).status_code == 400
    login_tokens(APIClient(), other.email)


@pytest.mark.django_db
def test_a_weak_password_is_refused_and_the_code_still_works(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    send(APIClient(), RESET, {"email": user.email})
    code = last_code(mailbox, user.email)

    weak = _confirm(user.email, code, password="123")

    assert weak.status_code == 400
    assert list(weak.json()["error"]["fields"]) == ["new_password"]
    assert _confirm(user.email, code).status_code == 204


@pytest.mark.django_db
def test_a_weak_password_gets_the_same_answer_for_an_unknown_address(
    mailbox: Mailbox, send: Send
) -> None:
    user = _learner()

    known = _confirm(user.email, "123456", password="123")
    unknown = _confirm(UNKNOWN, "123456", password="123")

    assert known.status_code == unknown.status_code == 400
    assert known.json() == unknown.json()


@pytest.mark.django_db
def test_the_code_is_not_stored_in_plaintext_anywhere(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    send(APIClient(), RESET, {"email": user.email})
    code = last_code(mailbox, user.email)
    assert stored_rows_containing(code) == []

    assert _confirm(user.email, code).status_code == 204
    assert stored_rows_containing(code) == []


# --- success ends every sign-in -----------------------------------------------------------------


@pytest.mark.django_db
def test_a_reset_ends_every_sign_in(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    first = login_tokens(APIClient(), user.email)
    second = login_tokens(APIClient(), user.email)
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {first['access']}")
    assert reader.get("/api/auth/profile/").status_code == 200

    send(APIClient(), RESET, {"email": user.email})
    with_commit = send(
        APIClient(),
        CONFIRM,
        {"email": user.email, "code": last_code(mailbox, user.email), "new_password": NEW_PASSWORD},
    )
    assert with_commit.status_code == 204

    assert reader.get("/api/auth/profile/").status_code == 401
    for tokens in (first, second):
        refreshed = APIClient().post(
            "/api/auth/refresh/", {"refresh": tokens["refresh"]}, format="json"
        )
        assert refreshed.status_code == 401
    # Realtime closes the sockets of the ended sign-ins when it hears these.
    recorded = DomainEvent.objects.filter(
        aggregate_type="user", aggregate_id=str(user.pk)
    ).values_list("event_type", flat=True)
    assert "PasswordChanged" in recorded
    assert list(recorded).count("SignedOut") >= 2
    # And the learner signs in again with the new password.
    login_tokens(APIClient(), user.email, NEW_PASSWORD)


@pytest.mark.django_db
def test_a_reset_lifts_a_lockout_and_verifies_the_address(
    mailbox: Mailbox, send: Send, settings: Any
) -> None:
    user = UserFactory.create(email_verified=False)
    client = APIClient()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post(LOGIN, {"email": user.email, "password": "wrong"}, format="json")
    locked = client.post(LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, format="json")
    assert locked.json()["error"]["code"] == "account_locked"

    send(APIClient(), RESET, {"email": user.email})
    assert _confirm(user.email, last_code(mailbox, user.email)).status_code == 204

    login_tokens(client, user.email, NEW_PASSWORD)
    user.refresh_from_db()
    assert user.email_verified  # the code reached the address


# --- throttles ----------------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("known", [True, False])
def test_requests_are_throttled_per_address_alike_known_or_not(
    known: bool, mailbox: Mailbox, send: Send, settings: Any
) -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["password_reset_address"] == "5/hour"
    email = _learner().email if known else UNKNOWN
    for index in range(5):
        # From a different client each time: the per-client rate is not what stops them.
        response = send(APIClient(REMOTE_ADDR=f"10.0.0.{index + 1}"), RESET, {"email": email})
        assert response.status_code == 202

    refused = send(APIClient(REMOTE_ADDR="10.0.0.99"), RESET, {"email": email.upper()})

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert len(mailbox.to(email)) == (5 if known else 0)


@pytest.mark.django_db
def test_requests_are_throttled_per_client(send: Send, mailbox: Mailbox, settings: Any) -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["password_reset"] == "10/hour"
    client = APIClient(REMOTE_ADDR="10.1.1.1")
    for index in range(10):
        assert send(client, RESET, {"email": f"someone{index}@example.com"}).status_code == 202

    refused = send(client, RESET, {"email": "someone-else@example.com"})

    assert refused.status_code == 429
    assert "Retry-After" in refused
    other_client = APIClient(REMOTE_ADDR="10.1.1.2")
    assert send(other_client, RESET, {"email": "someone-else@example.com"}).status_code == 202
