"""Django admin for users, profiles and login history: lists, search and filters work."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import LoginHistory
from tests.conftest import admin_signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in() -> Client:
    client = Client()
    admin_signed_in(client, UserFactory.create(is_staff=True, is_superuser=True))
    return client


@pytest.mark.parametrize(
    "url",
    [
        "/admin/accounts/user/?q=learner",
        "/admin/accounts/user/?is_active__exact=1",
        "/admin/accounts/userprofile/?q=learner",
        "/admin/accounts/loginhistory/?success__exact=0&q=ghost",
    ],
)
def test_changelists_search_and_filter(admin_client_logged_in, user, url):
    LoginHistory.objects.create(email="ghost@example.com", success=False)
    response = admin_client_logged_in.get(url)
    assert response.status_code == 200


def test_user_search_finds_by_email(admin_client_logged_in, user, other_user):
    response = admin_client_logged_in.get("/admin/accounts/user/", {"q": user.email})
    html = response.content.decode()
    assert user.email in html
    assert other_user.email not in html


def test_login_history_is_read_only(admin_client_logged_in):
    entry = LoginHistory.objects.create(email="ghost@example.com", success=False)
    assert admin_client_logged_in.get("/admin/accounts/loginhistory/add/").status_code == 403
    response = admin_client_logged_in.post(
        f"/admin/accounts/loginhistory/{entry.pk}/change/", {"success": "on"}
    )
    assert response.status_code == 403
    entry.refresh_from_db()
    assert entry.success is False


def test_learner_cannot_open_admin(user):
    client = Client()
    client.force_login(user)
    response = client.get("/admin/accounts/user/")
    assert response.status_code == 302
    assert "/admin/login/" in response["Location"]
