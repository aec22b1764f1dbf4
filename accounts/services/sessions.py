"""Sign-ins as sessions: the rows behind GET /api/auth/sessions/, and ending sign-ins.

A sign-in is a refresh-token family (`accounts.tokens`): its row is created with its first
token pair (`sign_in_start`, from `tokens_issue`), touched by every rotation (`sign_in_touch`:
one UPDATE) and ended with its tokens (`sign_in_end`: logout, `sign_in_revoke`,
`sign_ins_end_all`). Ending a sign-in blacklists its refresh tokens (the caller's part), refuses
its access tokens through the cache from commit on, and records SignedOut so realtime closes its
sockets. Also the lockout's unlock code (`account_unlock_code_send`, `account_unlock_with_code`;
the rules are in `accounts.lockout`) and the retention of sign-ins, expired refresh tokens and
the login history (`sign_ins_purge`, `refresh_tokens_purge`, `login_history_purge`).
"""

from __future__ import annotations

from datetime import timedelta

from axes.utils import reset as axes_reset
from django.conf import settings
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework_simplejwt.exceptions import TokenError
from rest_framework_simplejwt.settings import api_settings as jwt_settings
from rest_framework_simplejwt.token_blacklist.models import BlacklistedToken, OutstandingToken
from rest_framework_simplejwt.tokens import RefreshToken

from studymate_api.cache import cache_key
from studymate_api.cache.guard import BackendGuard
from studymate_api.core.errors import validation_failed
from studymate_api.core.retention import delete_in_batches
from studymate_api.cqrs import record_event

from ..devices import device_label
from ..events import SIGNED_OUT, USER, SignedOutPayload
from ..models import LoginHistory, User
from ..models.codes import CodePurpose
from ..models.sessions import SignIn
from ..tokens import sign_in_remember_revoked, token_sid

INVALID_UNLOCK_CODE = _("The unlock code is not valid or has expired.")
_UNLOCK_SENT_NAMESPACE = "unlock_code_sent"
_guard = BackendGuard(_UNLOCK_SENT_NAMESPACE)


def sign_in_start(
    *, user: User, sid: str, user_agent: str = "", ip_address: str | None = None
) -> SignIn:
    now = timezone.now()
    return SignIn.objects.create(
        sid=sid,
        user=user,
        device=device_label(user_agent),
        ip_address=ip_address,
        created_at=now,
        last_used_at=now,
    )


def sign_in_touch(
    *, user: User, sid: str, user_agent: str = "", ip_address: str | None = None
) -> None:
    """A rotation used the sign-in: one UPDATE (last use, and the address it came from when the
    caller knows it). A sign-in from before sign-ins had rows gets its row now."""
    changes: dict[str, object] = {"last_used_at": timezone.now()}
    if ip_address:
        changes["ip_address"] = ip_address
    if not SignIn.objects.filter(sid=sid, ended_at__isnull=True).update(**changes):
        SignIn.objects.get_or_create(
            sid=sid,
            defaults={
                "user": user,
                "device": device_label(user_agent),
                "ip_address": ip_address,
            },
        )


@transaction.atomic
def sign_in_revoke(*, user: User, sid: str) -> int:
    """Ends one sign-in of `user` as logout does, without its refresh token (the sessions API):
    its refresh tokens are blacklisted, its access tokens refused, its sockets closed. Returns
    how many refresh tokens it ended (1 for a sign-in whose refresh tokens had all expired);
    0, and nothing recorded, when the sign-in is not the user's or has already ended."""
    _lock_user(user)  # as tokens_refresh: a rotation of this sign-in finishes first or fails
    now = timezone.now()
    live = OutstandingToken.objects.filter(
        user=user, blacklistedtoken__isnull=True, expires_at__gt=now
    ).only("id", "token")
    ended = [outstanding for outstanding in live if stored_sid(outstanding.token) == sid]
    if ended:
        rows = [BlacklistedToken(token=outstanding) for outstanding in ended]
        BlacklistedToken.objects.bulk_create(rows, ignore_conflicts=True)
    row_ended = SignIn.objects.filter(user=user, sid=sid, ended_at__isnull=True).update(
        ended_at=now
    )
    if not ended and not row_ended:
        return 0
    _signed_out(user_id=user.pk, sids=[sid])
    return len(ended) or 1


def _lock_user(user: User) -> None:
    User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()


def sign_ins_close(*, user: User) -> int:
    """Marks every open sign-in of `user` ended, for a caller that ends their tokens another way
    (a password change: every refresh token blacklisted, the access tokens refused by their
    password claim, the sockets closed on PasswordChanged). One UPDATE; returns how many."""
    return SignIn.objects.filter(user=user, ended_at__isnull=True).update(ended_at=timezone.now())


def sign_in_end(*, user_id: int, sid: str | None) -> None:
    """Marks the sign-in ended; from commit on its access tokens are refused and its sockets
    close. The caller has blacklisted its refresh tokens in the same transaction."""
    if sid is not None:
        SignIn.objects.filter(sid=sid, ended_at__isnull=True).update(ended_at=timezone.now())
    _signed_out(user_id=user_id, sids=[sid])


def _signed_out(*, user_id: int, sids: list[str | None]) -> None:
    ended = [sid for sid in sids if sid is not None]
    if ended:
        # Registered before the events' publication (after-commit hooks run in order): a socket
        # re-checking its sign-in must find it ended.
        transaction.on_commit(lambda: _remember_revoked(ended))
    for sid in sids:
        payload: SignedOutPayload = {"user_id": user_id, "sid": sid}
        record_event(
            aggregate_type=USER, aggregate_id=user_id, event_type=SIGNED_OUT, payload=payload
        )


def _remember_revoked(sids: list[str]) -> None:
    for sid in sids:
        sign_in_remember_revoked(sid)


def stored_sid(raw: str) -> str | None:
    """The sign-in id in a refresh token read back from the outstanding-token table (ours: no
    signature or expiry check needed)."""
    try:
        return token_sid(RefreshToken(raw, verify=False))  # type: ignore[arg-type]
    except TokenError:
        return None


@transaction.atomic
def sign_ins_end_all(*, user: User, keep_sid: str | None = None) -> int:
    """Ends every sign-in of `user` except `keep_sid` (revoke others; None: all of them, for a
    password reset or an account deletion): their refresh tokens are blacklisted, their access
    tokens refused from commit on, and one SignedOut per sign-in closes their sockets. Returns
    how many sign-ins ended. Refresh tokens from before sign-in ids (no sid) end too.

    The user row is locked first, as `tokens_refresh` locks it, so a rotation in flight either
    finishes before (and its new token is ended here) or fails after.
    """
    _lock_user(user)
    now = timezone.now()
    live = OutstandingToken.objects.filter(
        user=user, blacklistedtoken__isnull=True, expires_at__gt=now
    ).only("id", "token")
    ended_tokens = []
    sids: set[str] = set()
    legacy = 0
    for outstanding in live:
        sid = stored_sid(outstanding.token)
        if sid is not None and sid == keep_sid:
            continue
        ended_tokens.append(BlacklistedToken(token=outstanding))
        if sid is None:
            legacy += 1
        else:
            sids.add(sid)
    if ended_tokens:
        BlacklistedToken.objects.bulk_create(ended_tokens, ignore_conflicts=True)
    open_rows = SignIn.objects.filter(user=user, ended_at__isnull=True)
    if keep_sid is not None:
        open_rows = open_rows.exclude(sid=keep_sid)
    # Rows whose refresh token has expired still name sign-ins whose access tokens may live.
    sids.update(open_rows.values_list("sid", flat=True))
    open_rows.update(ended_at=now)
    # One SignedOut per sign-in, and one for the refresh tokens from before sign-in ids.
    ended: list[str | None] = [*sorted(sids), *([None] if legacy else [])]
    _signed_out(user_id=user.pk, sids=ended)
    return len(sids) + legacy


def sign_ins_purge(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Retention: deletes sign-ins ended more than ACCOUNTS_SIGN_INS_RETENTION_DAYS ago, and
    those idle for longer than a refresh token lives plus that (bounded per run); returns how
    many."""
    keep = timedelta(days=settings.ACCOUNTS_SIGN_INS_RETENTION_DAYS)
    now = timezone.now()
    idle_cutoff = now - jwt_settings.REFRESH_TOKEN_LIFETIME - keep
    stale = Q(ended_at__lt=now - keep) | Q(last_used_at__lt=idle_cutoff)
    return delete_in_batches(
        SignIn.objects.filter(stale), batch_size=batch_size, max_batches=max_batches
    )


def refresh_tokens_purge(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Retention: deletes the refresh tokens simplejwt tracks once they have expired, with their
    blacklist entries (what its `flushexpiredtokens` does, bounded per run); returns how many.
    An expired token is refused for its `exp` alone, so its rows guard nothing any more."""
    expired = OutstandingToken.objects.filter(expires_at__lte=timezone.now())
    return delete_in_batches(expired, batch_size=batch_size, max_batches=max_batches)


def login_history_purge(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Retention: deletes login attempts older than ACCOUNTS_LOGIN_HISTORY_RETENTION_DAYS
    (bounded per run); returns how many."""
    keep = timedelta(days=settings.ACCOUNTS_LOGIN_HISTORY_RETENTION_DAYS)
    old = LoginHistory.objects.filter(created_at__lt=timezone.now() - keep)
    return delete_in_batches(old, batch_size=batch_size, max_batches=max_batches)


def expired_sessions_purge(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Retention of Django's `Session` rows (the admin's sign-ins; the API uses tokens):
    expired sessions, bounded per run, which `manage.py clearsessions` would delete in one
    unbounded statement; returns how many."""
    expired = Session.objects.filter(expire_date__lt=timezone.now())
    return delete_in_batches(expired, batch_size=batch_size, max_batches=max_batches)


# --- the lockout's unlock code (accounts.lockout) --------------------------------------------


def account_unlock_code_send(*, user: User) -> None:
    """Mails `user` an unlock code after commit (a task issues and sends it), at most once per
    ACCOUNTS_UNLOCK_RESEND_SECONDS: a new code kills the previous one, so resending faster
    would only race the owner typing it. A cache outage sends (the owner must get in)."""
    key = cache_key(_UNLOCK_SENT_NAMESPACE, user.pk)
    timeout: int = settings.ACCOUNTS_UNLOCK_RESEND_SECONDS
    if timeout and not _guard.call("add", lambda: cache.add(key, 1, timeout=timeout), True):
        return
    from .verification import code_send_on_commit  # verification imports this module

    code_send_on_commit(purpose=CodePurpose.UNLOCK_ACCOUNT, email=user.email, user_id=user.pk)


def account_unlock_with_code(*, email: str, code: str) -> None:
    """Spends an unlock code mailed to `email` and lifts every lock on that account (its attack
    included); a wrong, used or expired code is a 400 on `unlock_code`. Outside any transaction:
    a wrong guess stays counted against the code (`code_consume`)."""
    from .verification import code_consume  # verification imports this module

    if code_consume(purpose=CodePurpose.UNLOCK_ACCOUNT, email=email, code=code) is None:
        raise validation_failed("unlock_code", INVALID_UNLOCK_CODE)
    axes_reset(username=email)
