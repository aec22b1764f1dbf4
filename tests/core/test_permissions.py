"""Staff-only endpoints answer 403 to learners; someone else's object is a 404, never a 403."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from accounts.models import LoginHistory
from tests.conftest import login_tokens
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _test_urls(settings):
    settings.ROOT_URLCONF = "tests.core.permission_urls"


def _client_for(user) -> APIClient:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {login_tokens(client, user.email)['access']}")
    return client


def test_staff_endpoint(user):
    learner = _client_for(user)
    response = learner.get("/api/test/staff/")
    assert response.status_code == 403
    assert response.json()["error"]["code"] == "permission_denied"
    staff = _client_for(UserFactory.create(is_staff=True))
    assert staff.get("/api/test/staff/").status_code == 200


def test_other_users_object_is_not_found(user, other_user):
    theirs = LoginHistory.objects.create(user=other_user, email=other_user.email, success=True)
    mine = LoginHistory.objects.create(user=user, email=user.email, success=True)
    client = _client_for(user)
    response = client.get(f"/api/test/entries/{theirs.pk}/")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert client.get(f"/api/test/entries/{mine.pk}/").json() == {"id": mine.pk}
