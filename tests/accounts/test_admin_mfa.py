"""Staff use the Django admin only with a second factor: a code at the admin's login for staff
with TOTP, a set-up page for staff without it, and no admin page before either."""

from __future__ import annotations

import re
from typing import Any

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from accounts.models import User
from tests.accounts.totp_support import settled_step, totp_code, totp_enable
from tests.conftest import admin_signed_in, signed_in_client
from tests.factories import DEFAULT_PASSWORD, UserFactory

pytestmark = pytest.mark.django_db

LOGIN = "/admin/login/"
USERS = "/admin/accounts/user/"
VERIFY = "/admin/mfa/verify/"
SETUP = "/admin/mfa/setup/"


@pytest.fixture
def staff() -> User:
    return UserFactory.create(is_staff=True, is_superuser=True)


@pytest.fixture
def staff_secret(staff: User) -> str:
    """The staff member's TOTP secret, turned on through the API."""
    return str(totp_enable(signed_in_client(staff))["secret"])


def _login(client: Client, user: User, code: str | None = None, **extra: Any) -> Any:
    form = {"username": user.email, "password": DEFAULT_PASSWORD, "next": USERS, **extra}
    if code is not None:
        form["otp_code"] = code
    return client.post(LOGIN, form)


def _in_admin(client: Client) -> bool:
    return bool(client.get(USERS).status_code == 200)


def _secret_on_page(html: str) -> str:
    match = re.search(r'<code id="mfa-secret">([A-Z2-7=]+)</code>', html)
    assert match, html
    return match.group(1)


# --- staff with TOTP -----------------------------------------------------------------------------


def test_the_login_page_asks_for_a_code(client):
    page = client.get(LOGIN)
    assert page.status_code == 200
    assert 'name="otp_code"' in page.content.decode()


def test_staff_with_totp_need_the_code_beside_the_password(client, staff, staff_secret):
    settled_step()
    without = _login(client, staff)
    assert without.status_code == 200
    assert "authenticator" in without.content.decode().lower()
    assert not _in_admin(client)

    wrong = _login(client, staff, "00000000")
    assert wrong.status_code == 200
    assert not _in_admin(client)

    right = _login(client, staff, totp_code(staff_secret))
    assert right.status_code == 302
    assert right["Location"] == USERS
    assert _in_admin(client)


def test_a_recovery_code_opens_the_admin_once(client, staff):
    codes = totp_enable(signed_in_client(staff))["recovery_codes"]
    assert _login(client, staff, codes[0]).status_code == 302
    assert _in_admin(client)
    other = Client()
    assert _login(other, staff, codes[0]).status_code == 200
    assert not _in_admin(other)


def test_a_wrong_password_is_refused_before_any_code(client, staff, staff_secret):
    response = _login(client, staff, totp_code(staff_secret), password="not-the-password")
    assert response.status_code == 200
    assert not _in_admin(client)


def test_a_session_without_the_second_factor_is_asked_for_the_code(client, staff, staff_secret):
    settled_step()
    client.force_login(staff)  # a session signed in some other way than the admin's login
    page = client.get(USERS)
    assert page.status_code == 302
    step = client.get(page["Location"])
    assert step.status_code == 302
    assert step["Location"].startswith(VERIFY)
    assert client.post(step["Location"], {"code": "00000000"}).status_code == 200
    assert not _in_admin(client)
    verified = client.post(step["Location"], {"code": totp_code(staff_secret)})
    assert verified.status_code == 302
    assert verified["Location"] == USERS
    assert _in_admin(client)


def test_turning_totp_off_shuts_the_admin_to_sessions_verified_with_it(staff):
    api = signed_in_client(staff)  # before TOTP: the password signs in
    client = admin_signed_in(Client(), staff)
    assert _in_admin(client)
    assert api.delete("/api/auth/mfa/totp/", {"password": DEFAULT_PASSWORD}).status_code == 204
    assert not _in_admin(client)


def test_wrong_codes_in_the_admin_count_toward_the_limit(client, staff, staff_secret, settings):
    settings.ACCOUNTS_MFA_FAILURE_LIMIT = 2
    settled_step()
    for _ in range(2):
        assert _login(client, staff, "00000000").status_code == 200
    assert _login(client, staff, totp_code(staff_secret)).status_code == 200
    assert not _in_admin(client)


# --- staff without TOTP --------------------------------------------------------------------------


def test_staff_without_totp_set_it_up_before_using_the_admin(client, staff):
    signed_in = _login(client, staff)
    assert signed_in.status_code == 302
    assert signed_in["Location"].startswith(SETUP)
    assert not _in_admin(client)
    assert client.get(USERS)["Location"].startswith(LOGIN)
    assert client.get(f"{LOGIN}?next={USERS}")["Location"].startswith(SETUP)

    settled_step()
    page = client.get(signed_in["Location"])
    assert page.status_code == 200
    html = page.content.decode()
    assert "<svg" in html
    secret = _secret_on_page(html)
    assert _secret_on_page(client.get(signed_in["Location"]).content.decode()) == secret

    wrong = client.post(signed_in["Location"], {"code": "00000000"})
    assert wrong.status_code == 200
    assert not Authenticator.objects.filter(user=staff).exists()

    done = client.post(signed_in["Location"], {"code": totp_code(secret)})
    assert done.status_code == 200
    codes = re.findall(r"<li><code>(\d{8})</code></li>", done.content.decode())
    assert len(codes) == 10
    assert Authenticator.objects.filter(user=staff, type="totp").exists()
    assert _in_admin(client)

    # Next time, the admin's login asks this staff member for a code.
    later = Client()
    assert _login(later, staff).status_code == 200
    assert _login(later, staff, codes[0]).status_code == 302
    assert _in_admin(later)


def test_a_session_can_sign_out_before_the_second_factor(client, staff):
    _login(client, staff)
    response = client.post("/admin/mfa/sign-out/")
    assert response.status_code == 302
    assert client.get(SETUP)["Location"].startswith(LOGIN)


def test_learners_get_no_set_up_page(client, user):
    client.force_login(user)
    assert client.get(SETUP)["Location"].startswith(LOGIN)
    assert client.get(VERIFY)["Location"].startswith(LOGIN)
    assert not Authenticator.objects.filter(user=user).exists()


def test_without_the_requirement_the_password_is_enough(client, staff, settings):
    settings.ADMIN_MFA_REQUIRED = False
    assert _login(client, staff).status_code == 302
    assert _in_admin(client)
    forced = Client()
    forced.force_login(staff)
    assert _in_admin(forced)
