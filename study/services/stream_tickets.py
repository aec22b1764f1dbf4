"""Tickets that open one summary's event stream without an `Authorization` header.

A browser's `EventSource` cannot send headers, and an access token in a URL would end up in
proxy and server logs for its whole lifetime. A ticket is what goes in the URL instead: signed
with the project's secret under a salt of its own (so no other signed value can pass for one),
naming one learner and one summary, valid for STREAM_TICKET_SECONDS, and single use: its id is
remembered in the cache until it could have expired anyway, so a ticket copied from a log
cannot open the stream again.

If the cache cannot be reached, a ticket is accepted without that check (counted and logged
as a cache error): it is still signed, bound and short-lived, and streams keep working.
"""

from __future__ import annotations

import datetime
import secrets
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.cache import caches
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.cache.guard import BackendGuard
from studymate_api.core.errors import AuthenticationFailed

if TYPE_CHECKING:
    from accounts.models import User

    from ..models import StudySummary

STREAM_TICKET_SECONDS = 60
_SALT = "study.summary-stream-ticket"
# Signatures carry whole seconds: a ticket is accepted up to a second past its lifetime, and
# its id must be remembered at least that long.
_USED_SECONDS = STREAM_TICKET_SECONDS + 5
_guard = BackendGuard("stream_tickets")


@dataclass(frozen=True)
class StreamTicket:
    ticket: str
    expires_at: datetime.datetime


def stream_ticket_issue(*, user: User, summary: StudySummary) -> StreamTicket:
    """A ticket for `summary`'s stream; the caller already checked the summary is the user's."""
    payload = {"user": user.pk, "summary": summary.pk, "id": secrets.token_urlsafe(12)}
    ticket = signing.dumps(payload, salt=_SALT, compress=False)
    expires_at = timezone.now() + datetime.timedelta(seconds=STREAM_TICKET_SECONDS)
    return StreamTicket(ticket=ticket, expires_at=expires_at)


def stream_ticket_redeem(*, ticket: str, summary_id: int) -> User:
    """The user a ticket was issued to, if it is genuine, unexpired, unused and for this
    summary; else AuthenticationFailed (one message for every reason)."""
    payload = _payload(ticket)
    if payload is None or payload.get("summary") != summary_id:
        raise _refused()
    user_id = payload.get("user")
    user = get_user_model().objects.filter(pk=user_id, is_active=True).first() if user_id else None
    if user is None or not _first_use(str(payload.get("id"))):
        raise _refused()
    return user


def _payload(ticket: str) -> dict[str, Any] | None:
    try:
        payload = signing.loads(ticket, salt=_SALT, max_age=STREAM_TICKET_SECONDS)
    except signing.BadSignature:  # SignatureExpired is one too
        return None
    return payload if isinstance(payload, dict) else None


def _first_use(ticket_id: str) -> bool:
    cache = caches[settings.CACHE_ALIAS]
    key = f"stream_ticket:used:{ticket_id}"
    return _guard.call("add", lambda: bool(cache.add(key, 1, _USED_SECONDS)), True)


def _refused() -> AuthenticationFailed:
    return AuthenticationFailed(_("The stream ticket is not valid, has expired or was used."))
