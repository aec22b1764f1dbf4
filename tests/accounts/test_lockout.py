"""The lockout over HTTP (API.md, Accounts): per account and client, so a stranger cannot lock
the owner out; `Retry-After` on 403; an account attacked from many addresses asks every client
for an emailed unlock code (real SMTP on loopback) instead of refusing everyone; wrong old
passwords on password change count the same way; a password reset and the admin lift it."""

from __future__ import annotations

import datetime
import time
from typing import Any

import pytest
import time_machine
from asgiref.sync import async_to_sync
from django.test import AsyncClient
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import LoginHistory
from tests.accounts.mail_codes import Send, code_in, last_code, sender, subject_of
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailserver import Mailbox

pytestmark = pytest.mark.django_db

LOGIN = "/api/auth/login/"
REFRESH = "/api/auth/refresh/"
PROFILE = "/api/auth/profile/"
PASSWORD_CHANGE = "/api/auth/password/change/"
RESET = "/api/auth/password/reset/"
RESET_CONFIRM = "/api/auth/password/reset/confirm/"
WRONG = "wrong-Password-1"
COOL_OFF = 15 * 60

STRANGER, OWNER, ELSEWHERE = "198.51.100.66", "203.0.113.10", "192.0.2.44"
ATTACKERS = ("198.51.100.1", "198.51.100.2", "198.51.100.3")


@pytest.fixture(autouse=True)
def _celery_in_process(celery_in_process: None) -> None:
    """The unlock code is issued and mailed by a Celery task: it runs in this process."""


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Send:
    return sender(django_capture_on_commit_callbacks)


def login(email: str, password: str, *, ip: str, **extra: Any) -> Any:
    body = {"email": email, "password": password, **extra}
    return APIClient().post(LOGIN, body, format="json", REMOTE_ADDR=ip)


def fail(email: str, *, ip: str, times: int) -> list[int]:
    return [login(email, WRONG, ip=ip).status_code for _ in range(times)]


def error_of(response: Any) -> dict[str, Any]:
    return dict(response.json()["error"])


def retry_after(response: Any) -> int:
    return int(response["Retry-After"])


def bearer(access: str) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {access}")
    return client


def attack(email: str) -> None:
    """Enough addresses locked out of the account to make it an attack."""
    for ip in ATTACKERS:
        assert fail(email, ip=ip, times=5) == [401, 401, 401, 401, 403]


# --- per account and client --------------------------------------------------------------------


def test_a_strangers_failures_lock_only_the_strangers_address(user):
    owner = login(user.email, DEFAULT_PASSWORD, ip=OWNER).json()  # signed in before the attack

    assert fail(user.email, ip=STRANGER, times=5) == [401, 401, 401, 401, 403]

    # The stranger's address is locked out of the account, even with the right password...
    refused = login(user.email, DEFAULT_PASSWORD, ip=STRANGER)
    assert refused.status_code == 403
    assert error_of(refused)["code"] == "account_locked"
    assert error_of(refused)["unlock_required"] is False
    # ...the owner signs in from elsewhere, and the sign-in they held carries on.
    assert login(user.email, DEFAULT_PASSWORD, ip=ELSEWHERE).status_code == 200
    assert bearer(owner["access"]).get(PROFILE).status_code == 200
    refreshed = APIClient().post(REFRESH, {"refresh": owner["refresh"]}, format="json")
    assert refreshed.status_code == 200
    assert LoginHistory.objects.filter(user=user, failure_reason="locked").count() == 1


def test_the_lock_is_per_account_from_one_address(user, other_user):
    fail(user.email, ip=STRANGER, times=5)
    assert login(other_user.email, DEFAULT_PASSWORD, ip=STRANGER).status_code == 200


def test_retry_after_counts_down_to_the_end_of_the_lock(user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        locking = fail(user.email, ip=STRANGER, times=5)
        assert locking[-1] == 403
        response = login(user.email, WRONG, ip=STRANGER)
        assert response.status_code == 403
        assert COOL_OFF - 2 <= retry_after(response) <= COOL_OFF
    with time_machine.travel(start + datetime.timedelta(minutes=10), tick=False):
        response = login(user.email, DEFAULT_PASSWORD, ip=STRANGER)
        assert response.status_code == 403
        assert 5 * 60 - 2 <= retry_after(response) <= 5 * 60
    # Failures while locked are not counted: the lock ends on time.
    with time_machine.travel(start + datetime.timedelta(minutes=15, seconds=1), tick=False):
        assert login(user.email, DEFAULT_PASSWORD, ip=STRANGER).status_code == 200


def test_the_failure_that_locks_answers_with_retry_after(user):
    for _ in range(4):
        assert login(user.email, WRONG, ip=STRANGER).status_code == 401
    response = login(user.email, WRONG, ip=STRANGER)
    assert response.status_code == 403
    assert COOL_OFF - 2 <= retry_after(response) <= COOL_OFF


def test_under_asgi_the_lock_answers_the_same(user):
    """Through the ASGI handler, where AxesMiddleware runs its async path and hands the lockout
    callable the credentials instead of the endpoint's response."""
    client = AsyncClient()
    body = {"email": user.email, "password": WRONG}

    def post() -> Any:
        return async_to_sync(client.post)(
            LOGIN, body, content_type="application/json", REMOTE_ADDR=STRANGER
        )

    assert [post().status_code for _ in range(4)] == [401] * 4
    response = post()
    assert response.status_code == 403, response.content
    assert error_of(response)["code"] == "account_locked"
    assert COOL_OFF - 2 <= retry_after(response) <= COOL_OFF
    assert login(user.email, DEFAULT_PASSWORD, ip=OWNER).status_code == 200


def test_unknown_addresses_lock_the_same_way():
    assert fail("nobody-here@example.com", ip=STRANGER, times=5) == [401] * 4 + [403]


# --- an attack from many addresses ---------------------------------------------------------------


def test_an_attack_asks_every_client_for_an_emailed_code(mailbox: Mailbox, send: Send) -> None:
    user = UserFactory.create()
    held = login(user.email, DEFAULT_PASSWORD, ip=OWNER).json()
    attack(user.email)

    # A new address with a wrong password: refused with the hint, and nothing is mailed.
    guess = send(APIClient(), LOGIN, {"email": user.email, "password": WRONG}, REMOTE_ADDR=OWNER)
    assert guess.status_code == 403
    assert error_of(guess)["code"] == "account_locked"
    assert error_of(guess)["unlock_required"] is True
    assert retry_after(guess) > 0
    assert mailbox.to(user.email) == []
    # The owner with the right password gets the same answer, and the code by mail.
    body = {"email": user.email, "password": DEFAULT_PASSWORD}
    right = send(APIClient(), LOGIN, body, REMOTE_ADDR=OWNER)
    assert right.status_code == 403
    assert error_of(right) == error_of(guess)
    assert len(mailbox.to(user.email)) == 1
    code = last_code(mailbox, user.email)
    assert code in subject_of(mailbox.to(user.email)[0])
    # The sign-in the owner already held was never touched.
    assert bearer(held["access"]).get(PROFILE).status_code == 200

    signed_in = login(user.email, DEFAULT_PASSWORD, ip=OWNER, unlock_code=code)
    assert signed_in.status_code == 200
    assert set(signed_in.json()) >= {"user", "access", "refresh"}
    # The attack is over: every client is back to the per-address rule.
    assert login(user.email, WRONG, ip=ELSEWHERE).status_code == 401
    assert login(user.email, DEFAULT_PASSWORD, ip=ATTACKERS[0]).status_code == 200
    # The code worked once.
    again = login(user.email, DEFAULT_PASSWORD, ip=OWNER, unlock_code=code)
    assert again.status_code == 400
    assert list(error_of(again)["fields"]) == ["unlock_code"]


def test_an_attack_mails_at_most_one_code_a_while(
    mailbox: Mailbox, send: Send, settings: Any
) -> None:
    settings.ACCOUNTS_UNLOCK_RESEND_SECONDS = 1  # the cache's own clock: real time passes
    user = UserFactory.create()
    attack(user.email)
    body = {"email": user.email, "password": DEFAULT_PASSWORD}
    for _ in range(3):
        assert send(APIClient(), LOGIN, body, REMOTE_ADDR=OWNER).status_code == 403
    assert len(mailbox.to(user.email)) == 1
    first = code_in(mailbox.to(user.email)[0])
    time.sleep(1.1)
    assert send(APIClient(), LOGIN, body, REMOTE_ADDR=OWNER).status_code == 403
    assert len(mailbox.to(user.email)) == 2
    second = code_in(mailbox.to(user.email)[1])
    # Only the newest code works.
    if first != second:
        stale = login(user.email, DEFAULT_PASSWORD, ip=OWNER, unlock_code=first)
        assert stale.status_code == 400
    assert login(user.email, DEFAULT_PASSWORD, ip=OWNER, unlock_code=second).status_code == 200


def test_a_wrong_unlock_code_is_refused_and_lifts_nothing(mailbox: Mailbox, send: Send) -> None:
    user = UserFactory.create()
    attack(user.email)
    body = {"email": user.email, "password": DEFAULT_PASSWORD}
    send(APIClient(), LOGIN, body, REMOTE_ADDR=OWNER)
    code = last_code(mailbox, user.email)
    wrong_code = f"{(int(code) + 1) % 10**6:06d}"

    refused = login(user.email, DEFAULT_PASSWORD, ip=OWNER, unlock_code=wrong_code)

    assert refused.status_code == 400
    assert list(error_of(refused)["fields"]) == ["unlock_code"]
    still = login(user.email, DEFAULT_PASSWORD, ip=OWNER)
    assert still.status_code == 403
    assert error_of(still)["unlock_required"] is True


def test_the_right_code_with_a_wrong_password_lifts_the_attack_but_signs_nobody_in(
    mailbox: Mailbox, send: Send
) -> None:
    user = UserFactory.create()
    attack(user.email)
    send(APIClient(), LOGIN, {"email": user.email, "password": DEFAULT_PASSWORD}, REMOTE_ADDR=OWNER)
    code = last_code(mailbox, user.email)
    assert login(user.email, WRONG, ip=OWNER, unlock_code=code).status_code == 401
    assert login(user.email, DEFAULT_PASSWORD, ip=OWNER).status_code == 200


def test_two_locked_addresses_are_not_yet_an_attack(user):
    for ip in ATTACKERS[:2]:
        fail(user.email, ip=ip, times=5)
    assert login(user.email, DEFAULT_PASSWORD, ip=OWNER).status_code == 200


def test_the_attack_ends_when_the_locks_expire(user):
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        attack(user.email)
        refused = login(user.email, DEFAULT_PASSWORD, ip=OWNER)
        assert error_of(refused)["unlock_required"] is True
        assert COOL_OFF - 5 <= retry_after(refused) <= COOL_OFF
    with time_machine.travel(start + datetime.timedelta(minutes=16), tick=False):
        assert login(user.email, DEFAULT_PASSWORD, ip=OWNER).status_code == 200


def test_a_password_reset_lets_the_owner_in(mailbox: Mailbox, send: Send) -> None:
    user = UserFactory.create()
    attack(user.email)
    assert send(APIClient(), RESET, {"email": user.email}).status_code == 202
    code = last_code(mailbox, user.email)
    new_password = "quiet-Harbor-77?"
    confirm = {"email": user.email, "code": code, "new_password": new_password}
    assert APIClient().post(RESET_CONFIRM, confirm, format="json").status_code == 204
    assert login(user.email, new_password, ip=OWNER).status_code == 200


def test_the_admin_unlock_lifts_an_attack(user):
    from tests.conftest import admin_signed_in

    attack(user.email)
    staff = UserFactory.create(is_staff=True, is_superuser=True)
    admin = admin_signed_in(APIClient(), staff)
    response = admin.post(
        "/admin/accounts/user/",
        {"action": "unlock_accounts", "_selected_action": [user.pk]},
        format="multipart",
    )
    assert response.status_code == 302
    assert login(user.email, DEFAULT_PASSWORD, ip=ATTACKERS[0]).status_code == 200
    assert login(user.email, DEFAULT_PASSWORD, ip=OWNER).status_code == 200


# --- password change ---------------------------------------------------------------------------


def test_wrong_old_passwords_on_password_change_count_toward_the_lock(user):
    tokens = login(user.email, DEFAULT_PASSWORD, ip=STRANGER).json()
    client = bearer(tokens["access"])

    def change(old: str, ip: str) -> Any:
        body = {"old_password": old, "new_password": "Another-Lantern-88"}
        return client.post(PASSWORD_CHANGE, body, format="json", REMOTE_ADDR=ip)

    answers = [change(WRONG, STRANGER) for _ in range(5)]
    assert [answer.status_code for answer in answers] == [400, 400, 400, 400, 403]
    assert list(error_of(answers[0])["fields"]) == ["old_password"]
    assert error_of(answers[-1])["code"] == "account_locked"
    assert 0 < retry_after(answers[-1]) <= COOL_OFF
    # Locked: the right old password is refused from there, and so is the login.
    locked = change(DEFAULT_PASSWORD, STRANGER)
    assert locked.status_code == 403
    assert "Retry-After" in locked
    assert login(user.email, DEFAULT_PASSWORD, ip=STRANGER).status_code == 403
    # The token still works elsewhere, and so does the change.
    assert change(DEFAULT_PASSWORD, OWNER).status_code == 204


def test_login_failures_and_password_change_failures_add_up(user):
    tokens = login(user.email, DEFAULT_PASSWORD, ip=STRANGER).json()
    body = {"old_password": WRONG, "new_password": "Another-Lantern-88"}
    for _ in range(3):
        response = bearer(tokens["access"]).post(
            PASSWORD_CHANGE, body, format="json", REMOTE_ADDR=STRANGER
        )
        assert response.status_code == 400
    assert fail(user.email, ip=STRANGER, times=2) == [401, 403]


def test_the_lock_speaks_the_clients_language(user):
    attack(user.email)
    body = {"email": user.email, "password": WRONG}
    korean = APIClient().post(LOGIN, body, format="json", REMOTE_ADDR=OWNER)
    english = APIClient().post(
        LOGIN, body, format="json", REMOTE_ADDR=OWNER, HTTP_ACCEPT_LANGUAGE="en"
    )
    assert error_of(korean)["message"].startswith("여러 곳에서 로그인에 여러 번 실패하여")
    assert error_of(english)["message"].startswith("This account is protected")
    code = {"email": user.email, "password": DEFAULT_PASSWORD, "unlock_code": "000000"}
    wrong_code = APIClient().post(LOGIN, code, format="json", REMOTE_ADDR=OWNER)
    assert error_of(wrong_code)["fields"]["unlock_code"] == [
        "잠금 해제 코드가 올바르지 않거나 만료되었습니다."
    ]
