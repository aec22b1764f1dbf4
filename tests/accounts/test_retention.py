"""Retention of accounts' growing tables: simplejwt's expired refresh tokens (with their
blacklist entries) and the login history past its audit window."""

from __future__ import annotations

import datetime
import uuid

import pytest
from django.utils import timezone
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken

from accounts.models import LoginHistory, User
from accounts.services.sessions import login_history_purge, refresh_tokens_purge
from accounts.tasks import purge_login_history, purge_refresh_tokens
from tests.retention import age, assert_purged_hourly

pytestmark = pytest.mark.django_db


def _token(user: User, *, expires_in_days: float, blacklisted: bool = False) -> OutstandingToken:
    token = OutstandingToken.objects.create(
        user=user,
        jti=uuid.uuid4().hex,
        token="header.payload.signature",
        created_at=timezone.now(),
        expires_at=timezone.now() + datetime.timedelta(days=expires_in_days),
    )
    if blacklisted:
        BlacklistedToken.objects.create(token=token)
    return token


def test_expired_refresh_tokens_go_with_their_blacklist_entries(user):
    live = _token(user, expires_in_days=1)
    live_blacklisted = _token(user, expires_in_days=1, blacklisted=True)
    _token(user, expires_in_days=-1)
    _token(user, expires_in_days=-1, blacklisted=True)

    assert refresh_tokens_purge() == 2
    assert set(OutstandingToken.objects.values_list("pk", flat=True)) == {
        live.pk,
        live_blacklisted.pk,
    }
    assert list(BlacklistedToken.objects.values_list("token_id", flat=True)) == [
        live_blacklisted.pk
    ]
    assert refresh_tokens_purge() == 0


def test_a_token_purge_is_bounded_per_run(user):
    for _ in range(3):
        _token(user, expires_in_days=-1)
    assert refresh_tokens_purge(batch_size=2, max_batches=1) == 2
    assert refresh_tokens_purge(batch_size=2, max_batches=1) == 1


def test_the_beat_schedule_purges_refresh_tokens_hourly(user):
    assert_purged_hourly("accounts-purge-refresh-tokens", purge_refresh_tokens)
    _token(user, expires_in_days=-1)
    assert purge_refresh_tokens.apply().get() == 1


def _attempts(user: User, count: int) -> None:
    LoginHistory.objects.bulk_create(
        LoginHistory(user=user, email=user.email, success=True) for _ in range(count)
    )


def test_login_attempts_past_the_audit_window_go(user, settings):
    settings.ACCOUNTS_LOGIN_HISTORY_RETENTION_DAYS = 180
    _attempts(user, 3)
    rows = list(LoginHistory.objects.order_by("pk").values_list("pk", flat=True))
    age(LoginHistory.objects.filter(pk=rows[0]), "created_at", days=181)
    age(LoginHistory.objects.filter(pk=rows[1]), "created_at", days=179)

    assert login_history_purge() == 1
    assert set(LoginHistory.objects.values_list("pk", flat=True)) == {rows[1], rows[2]}
    assert login_history_purge() == 0


def test_a_login_history_purge_is_bounded_per_run(user):
    _attempts(user, 5)
    age(LoginHistory.objects.all(), "created_at", days=400)
    assert login_history_purge(batch_size=2, max_batches=2) == 4
    assert LoginHistory.objects.count() == 1


def test_the_beat_schedule_purges_login_history_hourly(user, settings):
    settings.ACCOUNTS_LOGIN_HISTORY_RETENTION_DAYS = 1
    assert_purged_hourly("accounts-purge-login-history", purge_login_history)
    _attempts(user, 1)
    age(LoginHistory.objects.all(), "created_at", days=2)
    assert purge_login_history.apply().get() == 1
