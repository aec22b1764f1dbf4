"""Email verification by mailed code, over HTTP with a real SMTP server on loopback: the code
sent on registration, verifying, resending (throttled), wrong and expired codes, the languages
of the mail, and what an unverified account may not do (pay, invite)."""

from __future__ import annotations

import datetime
import io
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from accounts.models.codes import CodePurpose, OneTimeCode
from accounts.services import account_mail
from accounts.services.verification import code_consume, code_issue, codes_purge
from accounts.tasks import purge_one_time_codes
from subscription.models import SubscriptionPlan
from tests.accounts.mail_codes import (
    Send,
    code_in,
    last_code,
    sender,
    stored_rows_containing,
    subject_of,
    text_of,
)
from tests.conftest import admin_signed_in, signed_in_client
from tests.factories import DEFAULT_PASSWORD, UserFactory
from tests.mailserver import Mailbox
from tests.standins.stripe_api import StripeStandin

REGISTER = "/api/auth/register/"
VERIFY = "/api/auth/email/verify/"
RESEND = "/api/auth/email/verify/resend/"
PROFILE = "/api/auth/profile/"


@pytest.fixture(autouse=True)
def _celery_in_process(celery_in_process: None) -> None:
    """The code is issued and mailed by a Celery task: it runs in this process."""


@pytest.fixture
def send(django_capture_on_commit_callbacks: Any) -> Send:
    return sender(django_capture_on_commit_callbacks)


def _register(api_client: APIClient, send: Send, email: str = "minji@example.com") -> APIClient:
    body = {"email": email, "password": DEFAULT_PASSWORD, "username": email.split("@")[0]}
    response = send(api_client, REGISTER, body)
    assert response.status_code == 201, response.content
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {response.json()['access']}")
    return client


def _verified(client: APIClient) -> bool:
    return bool(client.get(PROFILE).json()["email_verified"])


def _unverified(language: str = "ko") -> User:
    user = UserFactory.create(email_verified=False)
    user.profile.preferred_language = language
    user.profile.save(update_fields=["preferred_language"])
    return user


# --- the code sent on registration -----------------------------------------------------------


@pytest.mark.django_db
def test_registration_mails_a_code_that_verifies_the_address(
    api_client: APIClient, mailbox: Mailbox, send: Send
) -> None:
    client = _register(api_client, send)

    assert not _verified(client)
    (mail,) = mailbox.to("minji@example.com")
    assert mailbox.envelopes[0][0] == "no-reply@studymate.test"
    # A new learner's profile is Korean by default.
    assert subject_of(mail).startswith("StudyMate 인증 코드")
    assert "15분 동안 유효합니다" in text_of(mail)
    code = code_in(mail)

    response = client.post(VERIFY, {"code": code}, format="json")

    assert response.status_code == 204, response.content
    assert _verified(client)
    assert User.objects.get(email="minji@example.com").email_verified


@pytest.mark.django_db
def test_an_english_profile_gets_the_english_mail(mailbox: Mailbox, send: Send) -> None:
    user = _unverified(language="en")

    response = send(signed_in_client(user), RESEND)

    assert response.status_code == 202, response.content
    (mail,) = mailbox.to(user.email)
    assert subject_of(mail) == f"{code_in(mail)} is your StudyMate verification code"
    assert f"Hi {user.first_name}," in text_of(mail)
    assert "It works for 15 minutes." in text_of(mail)


@pytest.mark.django_db
def test_the_code_is_stored_only_as_a_hash(mailbox: Mailbox, send: Send) -> None:
    user = _unverified()
    send(signed_in_client(user), RESEND)
    code = last_code(mailbox, user.email)

    row = OneTimeCode.objects.get(user=user, purpose=CodePurpose.VERIFY_EMAIL)
    assert len(row.code_hash) == 64
    assert code not in row.code_hash
    # Nowhere else either: no notification, no delivery, no event, no log row holds it.
    assert stored_rows_containing(code) == []


# --- wrong, expired, used codes ------------------------------------------------------------------


@pytest.mark.django_db
def test_a_wrong_code_is_a_400_on_code(mailbox: Mailbox, send: Send) -> None:
    user = _unverified()
    client = signed_in_client(user)
    send(client, RESEND)
    code = last_code(mailbox, user.email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"

    response = client.post(VERIFY, {"code": wrong}, format="json")

    assert response.status_code == 400
    assert list(response.json()["error"]["fields"]) == ["code"]
    assert not _verified(client)


@pytest.mark.django_db
def test_after_five_wrong_codes_even_the_right_one_fails(
    mailbox: Mailbox, send: Send, settings: Any
) -> None:
    assert settings.ACCOUNTS_CODE_MAX_ATTEMPTS == 5
    user = _unverified()
    client = signed_in_client(user)
    send(client, RESEND)
    code = last_code(mailbox, user.email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(5):
        assert client.post(VERIFY, {"code": wrong}, format="json").status_code == 400

    assert client.post(VERIFY, {"code": code}, format="json").status_code == 400
    assert not _verified(client)

    # A new code works again.
    send(client, RESEND)
    fresh = last_code(mailbox, user.email)
    assert client.post(VERIFY, {"code": fresh}, format="json").status_code == 204
    assert _verified(client)


@pytest.mark.django_db
def test_four_wrong_codes_leave_the_right_one_working(mailbox: Mailbox, send: Send) -> None:
    user = _unverified()
    client = signed_in_client(user)
    send(client, RESEND)
    code = last_code(mailbox, user.email)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(4):
        assert client.post(VERIFY, {"code": wrong}, format="json").status_code == 400

    assert client.post(VERIFY, {"code": code}, format="json").status_code == 204


@pytest.mark.django_db
def test_a_code_expires(mailbox: Mailbox, send: Send) -> None:
    user = _unverified()
    client = signed_in_client(user)
    send(client, RESEND)
    code = last_code(mailbox, user.email)

    later = timezone.now() + datetime.timedelta(minutes=15, seconds=1)
    with time_machine.travel(later, tick=False):
        client = signed_in_client(user)  # the first access token has expired too
        response = client.post(VERIFY, {"code": code}, format="json")
        assert not _verified(client)

    assert response.status_code == 400


@pytest.mark.django_db
def test_a_code_just_before_expiry_still_works(mailbox: Mailbox, send: Send) -> None:
    user = _unverified()
    client = signed_in_client(user)
    send(client, RESEND)
    code = last_code(mailbox, user.email)

    with time_machine.travel(timezone.now() + datetime.timedelta(minutes=14), tick=False):
        assert client.post(VERIFY, {"code": code}, format="json").status_code == 204


@pytest.mark.django_db
def test_resending_kills_the_earlier_code(mailbox: Mailbox, send: Send) -> None:
    user = _unverified()
    client = signed_in_client(user)
    send(client, RESEND)
    first = last_code(mailbox, user.email)
    send(client, RESEND)
    second = last_code(mailbox, user.email)
    if first == second:  # one chance in a million: nothing to tell apart
        pytest.skip("the two random codes are equal")

    assert client.post(VERIFY, {"code": first}, format="json").status_code == 400
    assert client.post(VERIFY, {"code": second}, format="json").status_code == 204


@pytest.mark.django_db
def test_a_code_for_another_purpose_does_not_verify(mailbox: Mailbox, send: Send) -> None:
    user = _unverified()
    client = signed_in_client(user)
    send(APIClient(), "/api/auth/password/reset/", {"email": user.email})
    reset_code = last_code(mailbox, user.email)

    assert client.post(VERIFY, {"code": reset_code}, format="json").status_code == 400
    assert not _verified(client)


@pytest.mark.django_db
def test_codes_are_single_use_and_checked_in_constant_time_by_the_service(db: Any) -> None:
    user = UserFactory.create(email_verified=False)
    code = code_issue(purpose=CodePurpose.VERIFY_EMAIL, email=user.email, user=user)

    used = code_consume(purpose=CodePurpose.VERIFY_EMAIL, email=user.email.upper(), code=code)

    assert used is not None
    assert used.user_id == user.pk
    assert code_consume(purpose=CodePurpose.VERIFY_EMAIL, email=user.email, code=code) is None


@pytest.mark.django_db
@pytest.mark.parametrize("body", [{}, {"code": "12345"}, {"code": "abcdef"}, {"code": "1234567"}])
def test_a_malformed_code_is_a_400(user: User, body: dict[str, Any]) -> None:
    response = signed_in_client(user).post(VERIFY, body, format="json")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"


def test_verifying_needs_a_sign_in(api_client: APIClient, db: Any) -> None:
    assert api_client.post(VERIFY, {"code": "123456"}, format="json").status_code == 401
    assert api_client.post(RESEND).status_code == 401


# --- resend -------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_resend_is_throttled(mailbox: Mailbox, send: Send, settings: Any) -> None:
    assert settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["email_verify_resend"] == "5/hour"
    user = _unverified()
    client = signed_in_client(user)
    for _ in range(5):
        response = send(client, RESEND)
        assert response.status_code == 202
        assert response["Location"] == "http://testserver/api/auth/email/verify/"

    refused = send(client, RESEND)

    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert int(refused["Retry-After"]) > 0
    assert len(mailbox.to(user.email)) == 5


@pytest.mark.django_db
def test_an_address_already_verified_gets_no_mail(user: User, mailbox: Mailbox, send: Send) -> None:
    assert user.email_verified
    client = signed_in_client(user)

    assert send(client, RESEND).status_code == 202
    assert client.post(VERIFY, {"code": "000000"}, format="json").status_code == 204
    assert mailbox.messages == []


@pytest.mark.django_db
def test_a_failing_smtp_server_does_not_fail_the_request(mailbox: Mailbox, send: Send) -> None:
    mailbox.replies.append("554 Transaction failed")
    user = _unverified()

    response = send(signed_in_client(user), RESEND)

    assert response.status_code == 202
    assert mailbox.messages == []


@pytest.mark.django_db
def test_without_the_notifications_provider_mail_is_only_logged(
    send: Send, mailbox: Mailbox
) -> None:
    provider = account_mail.get()
    account_mail.provide(None)
    try:
        user = _unverified()
        assert send(signed_in_client(user), RESEND).status_code == 202
    finally:
        account_mail.provide(provider)
    assert mailbox.messages == []


# --- retention ----------------------------------------------------------------------------------


@pytest.mark.django_db
def test_expired_and_used_codes_are_purged_by_beat(settings: Any) -> None:
    assert settings.CELERY_BEAT_SCHEDULE["accounts-purge-one-time-codes"]["task"] == (
        "accounts.purge_one_time_codes"
    )
    user = UserFactory.create(email_verified=False)
    live = code_issue(purpose=CodePurpose.VERIFY_EMAIL, email=user.email, user=user)
    used = code_issue(purpose=CodePurpose.RESET_PASSWORD, email=user.email, user=user)
    assert code_consume(purpose=CodePurpose.RESET_PASSWORD, email=user.email, code=used)
    code_issue(purpose=CodePurpose.UNLOCK_ACCOUNT, email=user.email, user=user)
    OneTimeCode.objects.filter(purpose=CodePurpose.UNLOCK_ACCOUNT).update(
        expires_at=timezone.now() - datetime.timedelta(seconds=1)
    )

    assert purge_one_time_codes.delay().get() == 2

    assert list(OneTimeCode.objects.values_list("purpose", flat=True)) == ["verify_email"]
    assert code_consume(purpose=CodePurpose.VERIFY_EMAIL, email=user.email, code=live)
    assert codes_purge() == 1


# --- what an unverified account may not do ------------------------------------------------------

STRIPE_KEY = "sk_test_standin_key"


@pytest.fixture
def synced_plan(settings: Any) -> Iterator[SubscriptionPlan]:
    """Billing pointed at the Stripe stand-in, with a plan synced to it."""
    with StripeStandin(api_key=STRIPE_KEY) as stripe_api:
        settings.STRIPE_SECRET_KEY = STRIPE_KEY
        settings.STRIPE_WEBHOOK_SECRET = "whsec_standin_secret"
        settings.STRIPE_API_BASE = stripe_api.base_url
        settings.STRIPE_MAX_NETWORK_RETRIES = 0
        settings.STRIPE_TIMEOUT = 5
        plan = SubscriptionPlan.objects.create(
            code="pro", name="Pro", price_amount=9900, currency="krw", monthly_credits=300
        )
        call_command("billing_sync_plans", stdout=io.StringIO())
        plan.refresh_from_db()
        yield plan


def _verify(client: APIClient, mailbox: Mailbox, user: User, send: Send) -> None:
    send(client, RESEND)
    code = last_code(mailbox, user.email)
    assert client.post(VERIFY, {"code": code}, format="json").status_code == 204


@pytest.mark.django_db
def test_an_unverified_account_may_not_pay_until_it_verifies(
    synced_plan: SubscriptionPlan, mailbox: Mailbox, send: Send
) -> None:
    user = _unverified(language="en")
    client = signed_in_client(user)
    checkout = "/api/subscription/checkout/"

    refused = client.post(checkout, {"plan_id": synced_plan.pk}, format="json")

    assert refused.status_code == 403
    error = refused.json()["error"]
    assert error["code"] == "permission_denied"
    assert "Verify your email address first" in error["message"]
    korean = client.post(
        checkout, {"plan_id": synced_plan.pk}, format="json", HTTP_ACCEPT_LANGUAGE="ko"
    )
    assert korean.status_code == 403

    _verify(client, mailbox, user, send)
    allowed = client.post(checkout, {"plan_id": synced_plan.pk}, format="json")

    assert allowed.status_code == 200, allowed.content
    assert allowed.json()["checkout_url"]


@pytest.mark.django_db
def test_an_unverified_account_may_not_top_up(db: Any) -> None:
    user = _unverified()
    response = signed_in_client(user).post(
        "/api/subscription/credits/top-up/", {"pack_id": 1}, format="json"
    )
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"


@pytest.mark.django_db
def test_an_unverified_account_may_not_invite_to_a_room_until_it_verifies(
    mailbox: Mailbox, send: Send
) -> None:
    user = _unverified()
    client = signed_in_client(user)
    room = client.post("/api/study/realtime/rooms/", {"name": "Night owls"}, format="json")
    assert room.status_code == 201, room.content
    invite = f"/api/study/realtime/rooms/{room.json()['id']}/invite/"

    refused = client.post(invite, {"email": "friend@example.com"}, format="json")

    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "permission_denied"

    _verify(client, mailbox, user, send)
    assert client.post(invite, {"email": "friend@example.com"}, format="json").status_code == 202


@pytest.mark.django_db
def test_another_learners_room_stays_a_404_for_an_unverified_account(db: Any) -> None:
    owner = UserFactory.create()
    room = signed_in_client(owner).post(
        "/api/study/realtime/rooms/", {"name": "Private", "is_public": False}, format="json"
    )
    stranger = signed_in_client(_unverified())

    response = stranger.post(
        f"/api/study/realtime/rooms/{room.json()['id']}/invite/",
        {"email": "friend@example.com"},
        format="json",
    )

    assert response.status_code == 404


@pytest.mark.django_db
def test_the_setting_decides_what_is_held_back(settings: Any) -> None:
    settings.ACCOUNTS_UNVERIFIED_MAY_NOT = ("pay",)
    client = signed_in_client(_unverified())
    room = client.post("/api/study/realtime/rooms/", {"name": "Open"}, format="json")

    response = client.post(
        f"/api/study/realtime/rooms/{room.json()['id']}/invite/",
        {"email": "friend@example.com"},
        format="json",
    )

    assert response.status_code == 202


# --- query budgets ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_verify_and_resend_budgets(
    mailbox: Mailbox, send: Send, django_assert_max_num_queries: Any
) -> None:
    user = _unverified()
    client = signed_in_client(user)
    with django_assert_max_num_queries(2):  # the user row (authentication); the task is after
        assert client.post(RESEND).status_code == 202
    send(client, RESEND)
    code = last_code(mailbox, user.email)
    # The user; the live code; counting the try; using it; marking the address verified.
    with django_assert_max_num_queries(5):
        assert client.post(VERIFY, {"code": code}, format="json").status_code == 204


# --- admin --------------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_admin_shows_filters_and_marks_verification() -> None:
    unverified, verified = _unverified(), UserFactory.create()
    admin = Client()
    admin_signed_in(admin, UserFactory.create(is_staff=True, is_superuser=True))

    listed = admin.get("/admin/accounts/user/?email_verified__exact=0")
    assert listed.status_code == 200
    assert unverified.email in listed.content.decode()
    assert verified.email not in listed.content.decode()

    response = admin.post(
        "/admin/accounts/user/",
        {"action": "mark_email_verified", "_selected_action": [unverified.pk]},
    )

    assert response.status_code == 302
    assert User.objects.get(pk=unverified.pk).email_verified
