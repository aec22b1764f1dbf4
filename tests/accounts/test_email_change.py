"""Email change, over HTTP with a real SMTP server on loopback: a code to the new address, the
account's address changed (and verified) only when it comes back, a notice to the old address,
and addresses another account holds or takes meanwhile."""

from __future__ import annotations

from typing import Any

import pytest
from rest_framework.test import APIClient

from accounts.models import User
from tests.accounts.mail_codes import (
    Send,
    code_in,
    last_code,
    sender,
    stored_rows_containing,
    subject_of,
    text_of,
)
from tests.conftest import login_tokens, signed_in_client
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailserver import Mailbox

CHANGE = "/api/auth/email/change/"
CONFIRM = "/api/auth/email/change/confirm/"
NEW = "minji.new@example.com"


@pytest.fixture(autouse=True)
def _celery_in_process(celery_in_process: None) -> None:
    """The code is issued and mailed by a Celery task: it runs in this process."""


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Send:
    return sender(django_capture_on_commit_callbacks)


def _learner(language: str = "ko", **fields: Any) -> User:
    user = UserFactory.create(**fields)
    user.profile.preferred_language = language
    user.profile.save(update_fields=["preferred_language"])
    return user


def _ask(
    send: Send, client: APIClient, new_email: str = NEW, password: str = DEFAULT_PASSWORD
) -> Any:
    return send(client, CHANGE, {"new_email": new_email, "password": password})


@pytest.mark.django_db
def test_the_code_goes_to_the_new_address_and_the_notice_to_the_old(
    mailbox: Mailbox, send: Send
) -> None:
    user = _learner("en", email_verified=False)
    old = user.email
    client = signed_in_client(user)

    asked = _ask(send, client, new_email="Minji.New@Example.com")

    assert asked.status_code == 202, asked.content
    assert asked["Location"] == "http://testserver/api/auth/email/change/confirm/"
    (code_mail,) = mailbox.to(NEW)
    assert subject_of(code_mail) == f"{code_in(code_mail)} is your code to confirm this address"
    # Nothing changes until the code comes back; the old address has heard nothing yet.
    assert User.objects.get(pk=user.pk).email == old
    assert mailbox.to(old) == []

    confirmed = send(client, CONFIRM, {"code": code_in(code_mail)})

    assert confirmed.status_code == 204, confirmed.content
    profile = client.get("/api/auth/profile/").json()
    assert (profile["email"], profile["email_verified"]) == (NEW, True)
    (notice,) = mailbox.to(old)
    assert subject_of(notice) == "The email address of your StudyMate account was changed"
    assert NEW in text_of(notice)
    assert "this address no longer signs in" in text_of(notice)
    # The new address signs in; the old one no longer does.
    login_tokens(APIClient(), NEW)
    refused = APIClient().post(
        "/api/auth/login/", {"email": old, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert refused.status_code == 401


@pytest.mark.django_db
def test_korean_mails(mailbox: Mailbox, send: Send) -> None:
    user = _learner("ko")
    old = user.email
    client = signed_in_client(user)
    _ask(send, client)
    (code_mail,) = mailbox.to(NEW)
    assert subject_of(code_mail) == f"새 이메일 주소 확인 코드: {code_in(code_mail)}"

    send(client, CONFIRM, {"code": code_in(code_mail)})

    (notice,) = mailbox.to(old)
    assert subject_of(notice) == "StudyMate 계정의 이메일 주소가 변경되었습니다"
    assert f"{NEW}(으)로 변경되었습니다" in text_of(notice)


@pytest.mark.django_db
def test_a_wrong_password_is_refused(mailbox: Mailbox, send: Send) -> None:
    client = signed_in_client(_learner())

    response = _ask(send, client, password="not-my-password")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["password"]
    assert mailbox.messages == []


@pytest.mark.django_db
def test_wrong_passwords_count_as_failed_logins(
    mailbox: Mailbox, send: Send, settings: Any
) -> None:
    user = _learner()
    client = signed_in_client(user)
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        assert _ask(send, client, password="guess").status_code == 400

    locked = _ask(send, client, password="guess")

    assert locked.status_code == 403
    assert locked.json()["error"]["code"] == "account_locked"
    assert int(locked["Retry-After"]) > 0
    # The client is locked out of the account, at login too, even with the right password.
    login = APIClient().post(
        "/api/auth/login/", {"email": user.email, "password": DEFAULT_PASSWORD}, format="json"
    )
    assert login.status_code == 403
    assert mailbox.to(NEW) == []


@pytest.mark.django_db
def test_an_address_another_account_has_is_refused(mailbox: Mailbox, send: Send) -> None:
    taken = UserFactory.create(email="taken@example.com")
    client = signed_in_client(_learner())

    response = _ask(send, client, new_email="TAKEN@example.com")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["new_email"]
    assert mailbox.messages == []
    assert User.objects.get(pk=taken.pk).email == "taken@example.com"


@pytest.mark.django_db
def test_the_own_address_is_refused(send: Send, mailbox: Mailbox) -> None:
    user = _learner()
    response = _ask(send, signed_in_client(user), new_email=user.email)
    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["new_email"]


@pytest.mark.django_db
def test_an_address_taken_meanwhile_is_a_409_and_nothing_changes(
    mailbox: Mailbox, send: Send
) -> None:
    user = _learner()
    old = user.email
    client = signed_in_client(user)
    _ask(send, client)
    code = last_code(mailbox, NEW)
    # Someone registers the address between the request and the confirmation.
    registered = send(
        APIClient(),
        "/api/auth/register/",
        {"email": NEW, "password": DEFAULT_PASSWORD, "username": "squatter"},
    )
    assert registered.status_code == 201

    response = send(client, CONFIRM, {"code": code})

    assert response.status_code == 409
    assert response.json()["error"]["code"] == "conflict"
    assert User.objects.get(pk=user.pk).email == old
    assert mailbox.to(old) == []


@pytest.mark.django_db
def test_a_wrong_code_changes_nothing(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    client = signed_in_client(user)
    _ask(send, client)
    code = last_code(mailbox, NEW)

    response = send(client, CONFIRM, {"code": f"{(int(code) + 1) % 10**6:06d}"})

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["code"]
    assert User.objects.get(pk=user.pk).email == user.email


@pytest.mark.django_db
def test_a_new_request_replaces_the_earlier_one(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    client = signed_in_client(user)
    _ask(send, client, new_email="first@example.com")
    first = last_code(mailbox, "first@example.com")
    _ask(send, client, new_email="second@example.com")
    second = last_code(mailbox, "second@example.com")

    if first != second:  # equal random codes: one chance in a million
        assert send(client, CONFIRM, {"code": first}).status_code == 400
    assert send(client, CONFIRM, {"code": second}).status_code == 204
    assert User.objects.get(pk=user.pk).email == "second@example.com"


@pytest.mark.django_db
def test_another_accounts_code_does_not_work(mailbox: Mailbox, send: Send) -> None:
    owner, other = _learner(), _learner()
    _ask(send, signed_in_client(owner))
    code = last_code(mailbox, NEW)

    response = send(signed_in_client(other), CONFIRM, {"code": code})

    assert response.status_code == 400
    assert User.objects.get(pk=other.pk).email == other.email


@pytest.mark.django_db
def test_a_code_is_used_once_and_kept_only_hashed(mailbox: Mailbox, send: Send) -> None:
    user = _learner()
    client = signed_in_client(user)
    _ask(send, client)
    code = last_code(mailbox, NEW)
    assert stored_rows_containing(code) == []

    assert send(client, CONFIRM, {"code": code}).status_code == 204
    assert send(client, CONFIRM, {"code": code}).status_code == 400


@pytest.mark.django_db
def test_requests_are_throttled_per_account(send: Send, mailbox: Mailbox, settings: Any) -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["email_change"] == "5/hour"
    client = signed_in_client(_learner())
    for index in range(5):
        assert _ask(send, client, new_email=f"n{index}@example.com").status_code == 202

    refused = _ask(send, client, new_email="n9@example.com")

    assert refused.status_code == 429
    assert "Retry-After" in refused


def test_changing_needs_a_sign_in(api_client: APIClient, db: Any) -> None:
    body = {"new_email": NEW, "password": DEFAULT_PASSWORD}
    assert api_client.post(CHANGE, body, format="json").status_code == 401
    assert api_client.post(CONFIRM, {"code": "123456"}, format="json").status_code == 401


@pytest.mark.django_db
def test_write_budgets(mailbox: Mailbox, send: Send, django_assert_max_num_queries: Any) -> None:
    user = _learner()
    client = signed_in_client(user)
    # The user (authentication), the client's failed logins, the address taken?
    with django_assert_max_num_queries(3):
        assert (
            client.post(CHANGE, {"new_email": NEW, "password": DEFAULT_PASSWORD}).status_code == 202
        )
    _ask(send, client)
    code = last_code(mailbox, NEW)
    # The user; the pending address; the live code; counting the try; using it; the address
    # still free; the savepoint and the UPDATE of the user; the language of the notice.
    with django_assert_max_num_queries(10):
        assert client.post(CONFIRM, {"code": code}).status_code == 204
