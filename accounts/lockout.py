"""The login lockout: per account and client, so that a stranger cannot lock the owner out.

django-axes counts the failures (Django's `user_login_failed`, sent by `authenticate` and by a
wrong old password on password change) and refuses a locked pair in its authentication backend,
with AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]: five failures for one account from
one address lock that address out of that account for the cool-off (AXES_COOLOFF_TIME); every
other address, and every sign-in the owner already holds, carries on.

What axes cannot express is ours, read from axes' own table in one query (`lockout_state`):
- `Retry-After`: the seconds until the client's lock ends (its last counted failure plus the
  cool-off);
- an account under attack from many addresses (ACCOUNTS_LOCKOUT_ATTACK_CLIENTS or more
  addresses locked out of it within the cool-off) asks every client for an emailed unlock code
  instead of refusing everyone: the login answers 403 `account_locked` with
  `"unlock_required": true`, and the right password (only the right one, so strangers cannot
  flood the owner's mailbox) mails a code (`account_unlock`). The right password with that code
  lets the client in and clears the attack (`services.user_login`). A password reset does too
  (`services.account_unlock`). The mail goes out in a task after commit: the right password
  costs the request one cache write and one enqueue more than a wrong one, at most once a
  minute per account (ACCOUNTS_UNLOCK_RESEND_SECONDS), and every guess still counts toward its
  address's lock.

Why not axes alone: its lockout parameters can say "account and address", but not "many
addresses at once", and it keeps no time left to answer in `Retry-After`.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, ClassVar

from axes.helpers import get_cool_off
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Case, IntegerField, Max, Q, Sum, Value, When
from django.http import HttpRequest, HttpResponseBase, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import AccountLocked
from studymate_api.core.middleware import error_response
from studymate_api.core.requests import client_ip


class AccountLockedOut(AccountLocked):
    """403 `account_locked` with `Retry-After` (seconds) and, in the envelope's error,
    `unlock_required`: true when only an emailed unlock code (or a password reset) lets a client
    in before then."""

    unlock_message: ClassVar[Any] = _(
        "This account is protected after many failed login attempts from several places. The "
        "right password sends an unlock code to the account's email address: sign in again "
        "with it, or reset your password."
    )

    def __init__(self, *, retry_after: int, unlock_required: bool = False) -> None:
        super().__init__(
            self.unlock_message if unlock_required else None,
            headers={"Retry-After": str(retry_after)},
        )
        self.retry_after = retry_after
        self.unlock_required = unlock_required

    def as_payload(self) -> dict[str, Any]:
        payload = super().as_payload()
        payload["error"]["unlock_required"] = self.unlock_required
        return payload


@dataclass(frozen=True)
class LockoutState:
    """What axes' records say about one account, seen from one client."""

    client_locked: bool
    client_retry_after: int  # seconds until the client's lock ends (0: not locked)
    under_attack: bool
    attack_retry_after: int  # seconds until too few addresses are locked out (0: no attack)

    def error(self) -> AccountLockedOut:
        retry_after = max(self.client_retry_after, self.attack_retry_after, 1)
        return AccountLockedOut(retry_after=retry_after, unlock_required=self.under_attack)


def lockout_state(request: HttpRequest, *, email: str) -> LockoutState:
    """One query over axes' attempts on `email` within the cool-off, grouped by address: the
    client's own row first, then the most recent locks, enough of them to tell an attack."""
    cool_off = _cool_off(request)
    now = timezone.now()
    limit: int = settings.AXES_FAILURE_LIMIT
    attack_clients: int = settings.ACCOUNTS_LOCKOUT_ATTACK_CLIENTS
    ip = client_ip(request)
    rows = list(
        AccessAttempt.objects.filter(username=email, attempt_time__gte=now - cool_off)
        .values("ip_address")
        .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
        .filter(failures__gte=limit)
        .annotate(
            mine=Case(
                When(Q(ip_address=ip), then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
        .order_by("mine", "-last")[: attack_clients + 1]
    )
    mine = rows[0] if rows and rows[0]["mine"] == 0 else None
    locks: list[datetime] = sorted((row["last"] for row in rows), reverse=True)
    under_attack = len(locks) >= attack_clients
    return LockoutState(
        client_locked=mine is not None,
        client_retry_after=_seconds_left(mine["last"] + cool_off, now) if mine else 0,
        under_attack=under_attack,
        # The attack lasts while `attack_clients` addresses are locked: until the lock of the
        # attack_clients-th most recent of them ends.
        attack_retry_after=(
            _seconds_left(locks[attack_clients - 1] + cool_off, now) if under_attack else 0
        ),
    )


def _cool_off(request: HttpRequest) -> timedelta:
    cool_off = get_cool_off(request)
    return cool_off if cool_off is not None else timedelta(days=365)


def _seconds_left(until: datetime, now: datetime) -> int:
    return max(1, math.ceil((until - now).total_seconds()))


def lockout_username(request: HttpRequest, credentials: Mapping[str, Any] | None = None) -> Any:
    """AXES_USERNAME_CALLABLE: the account an attempt names, as our logins (`email`) and the
    admin's form (`username`) send it, normalized as accounts store emails (lower-cased)."""
    source: Mapping[str, Any] = credentials if credentials is not None else request.POST
    raw = source.get("email") or source.get("username")
    return str(raw).strip().lower() if raw else None


def lockout_response(
    request: HttpRequest, original_response: object = None, *args: Any
) -> HttpResponseBase:
    """AXES_LOCKOUT_CALLABLE: AxesMiddleware calls it when a request has been locked out. Our
    endpoints have already answered 403 `account_locked` with `Retry-After` (kept as it is);
    anything else axes refused (the admin's login form) gets the envelope here.

    Under ASGI, AxesMiddleware calls it as `(request, credentials)`: the second argument is then
    the credentials, not a response, and the answer is made here from the lock's state, the
    same 403 as the endpoint's."""
    if not isinstance(original_response, HttpResponseBase):
        original_response = None
    if original_response is not None and original_response.status_code == AccountLocked.http_status:
        return original_response
    credentials = getattr(request, "axes_credentials", None) or {}
    email = str(credentials.get(settings.AXES_USERNAME_FORM_FIELD) or "")
    error = (
        lockout_state(request, email=email).error()
        if email
        else AccountLockedOut(retry_after=int(_cool_off(request).total_seconds()))
    )
    response: JsonResponse = error_response(error.http_status, error.code, str(error.message))
    response["Retry-After"] = str(error.retry_after)
    return response
