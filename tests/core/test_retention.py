"""`delete_in_batches`: rows go by primary key, at most batch_size x max_batches per call, with
their cascade, counting only the model's own rows."""

from __future__ import annotations

import pytest

from accounts.models import LoginHistory, User
from studymate_api.core.retention import delete_in_batches
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _attempts(count: int) -> None:
    LoginHistory.objects.bulk_create(
        LoginHistory(email=f"someone{n}@example.com", success=False) for n in range(count)
    )


def test_a_call_deletes_at_most_its_batches_and_the_next_takes_the_rest():
    _attempts(7)
    assert delete_in_batches(LoginHistory.objects.all(), batch_size=2, max_batches=3) == 6
    assert LoginHistory.objects.count() == 1
    assert delete_in_batches(LoginHistory.objects.all(), batch_size=2, max_batches=3) == 1
    assert delete_in_batches(LoginHistory.objects.all(), batch_size=2, max_batches=3) == 0


def test_only_the_rows_asked_for_go_and_cascades_are_not_counted():
    user = UserFactory.create()
    _attempts(2)
    LoginHistory.objects.create(user=user, email=user.email, success=True)
    # The user's profile and login history cascade; only the user is counted.
    assert delete_in_batches(User.objects.filter(pk=user.pk), batch_size=10) == 1
    assert LoginHistory.objects.count() == 2
