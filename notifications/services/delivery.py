"""Running one delivery: claim, send, settle.

Semantics, per DeliveryAttempt row:
- Claim: a conditional UPDATE turns a due `pending` row (or a `sending` row whose lease of
  NOTIFICATIONS_CLAIM_LEASE seconds has run out) into `sending` with `claimed_at` = now. Only
  the worker whose UPDATE changed the row sends; a re-delivered task finds it claimed or done and
  does nothing.
- Settle: the outcome is written only while the claim is still ours (same `claimed_at`).
- A worker killed mid-send leaves the row `sending`. Nobody touches it until the lease expires;
  then the `deliver_due` sweep (or a re-delivered task) claims it again and sends once more. So a
  message is sent at most twice and only when the first send's outcome was never recorded:
  delivery is at-least-once. Email carries a stable Message-ID so a duplicate is recognisable.
- Temporary failures (timeouts, 429, 5xx) put the row back to `pending` with `scheduled_for`
  moved by an exponential backoff (or the provider's Retry-After), up to
  NOTIFICATIONS_MAX_ATTEMPTS attempts; permanent ones fail it at once.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

import structlog
from django.conf import settings
from django.db.models import F, Q
from django.utils import timezone

from studymate_api.core.retention import delete_in_batches

from ..channels import SENDERS, PermanentFailure, Skip, TemporaryFailure
from ..models import DeliveryAttempt, DeliveryStatus

logger = structlog.get_logger(__name__)

_MAX_ERROR = 1000


@dataclass(frozen=True)
class DeliveryResult:
    status: str
    # When the delivery should be tried again (a temporary failure with attempts left).
    retry_at: datetime.datetime | None = None


NOT_CLAIMED = DeliveryResult("not_claimed")


def delivery_run(*, delivery_id: int) -> DeliveryResult:
    delivery = _claim(delivery_id)
    if delivery is None:
        return NOT_CLAIMED
    return delivery_send_claimed(delivery)


def delivery_send_claimed(delivery: DeliveryAttempt) -> DeliveryResult:
    """Send a delivery this worker holds the claim of (`sending`, its `claimed_at`), with its
    notification loaded, and settle it: one UPDATE."""
    delivery_id = delivery.pk
    sender = SENDERS[delivery.channel]
    try:
        detail = sender.send(delivery)
    except Skip as exc:
        return _settle(delivery, DeliveryStatus.SKIPPED, error=exc.reason)
    except PermanentFailure as exc:
        return _settle(delivery, DeliveryStatus.FAILED, error=str(exc), detail=exc.detail)
    except TemporaryFailure as exc:
        return _retry_or_fail(delivery, str(exc), exc.retry_after, exc.detail)
    except Exception as exc:
        logger.exception("notifications.delivery_crashed", delivery_id=delivery_id)
        return _retry_or_fail(delivery, f"unexpected: {exc!r}", None, {})
    return _settle(delivery, DeliveryStatus.SENT, detail=detail)


def _claim(delivery_id: int) -> DeliveryAttempt | None:
    now = timezone.now()
    lease_expired = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_CLAIM_LEASE)
    claimable = Q(status=DeliveryStatus.PENDING, scheduled_for__lte=now) | Q(
        status=DeliveryStatus.SENDING, claimed_at__lt=lease_expired
    )
    claimed = DeliveryAttempt.objects.filter(claimable, pk=delivery_id).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if claimed != 1:
        return None
    return DeliveryAttempt.objects.select_related("notification__user").get(pk=delivery_id)


def _settle(
    delivery: DeliveryAttempt,
    status: str,
    *,
    error: str = "",
    detail: dict[str, Any] | None = None,
    scheduled_for: datetime.datetime | None = None,
) -> DeliveryResult:
    fields: dict[str, Any] = {
        "status": status,
        "last_error": error[:_MAX_ERROR],
        "detail": {**delivery.detail, **(detail or {})},
    }
    if status == DeliveryStatus.SENT:
        fields["sent_at"] = timezone.now()
    if scheduled_for is not None:
        fields["scheduled_for"] = scheduled_for
        fields["claimed_at"] = None
    ours = DeliveryAttempt.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=delivery.claimed_at
    )
    if ours.update(**fields) != 1:
        logger.warning("notifications.claim_lost", delivery_id=delivery.pk, outcome=status)
    logger.info(
        "notifications.delivery", delivery_id=delivery.pk, channel=delivery.channel, status=status
    )
    return DeliveryResult(status, retry_at=scheduled_for)


def _retry_or_fail(
    delivery: DeliveryAttempt, error: str, retry_after: float | None, detail: dict[str, Any]
) -> DeliveryResult:
    if delivery.attempts >= settings.NOTIFICATIONS_MAX_ATTEMPTS:
        return _settle(delivery, DeliveryStatus.FAILED, error=error, detail=detail)
    delay = retry_after if retry_after is not None else backoff_seconds(delivery.attempts)
    retry_at = timezone.now() + datetime.timedelta(seconds=delay)
    return _settle(
        delivery, DeliveryStatus.PENDING, error=error, detail=detail, scheduled_for=retry_at
    )


def backoff_seconds(attempts: int) -> float:
    """Exponential: base, 2 * base, 4 * base... capped."""
    base = settings.NOTIFICATIONS_RETRY_BACKOFF
    return float(min(settings.NOTIFICATIONS_RETRY_BACKOFF_MAX, base * 2 ** max(0, attempts - 1)))


def delivery_due_ids(*, limit: int = 1000, overdue: float = 60.0) -> list[int]:
    """Deliveries a task should have sent by now: pending and overdue by `overdue` seconds (its
    own ETA task is normally on it), or `sending` past the lease (the worker died)."""
    now = timezone.now()
    lease_expired = now - datetime.timedelta(seconds=settings.NOTIFICATIONS_CLAIM_LEASE)
    due = Q(
        status=DeliveryStatus.PENDING,
        scheduled_for__lte=now - datetime.timedelta(seconds=overdue),
    ) | Q(status=DeliveryStatus.SENDING, claimed_at__lt=lease_expired)
    ids = DeliveryAttempt.objects.filter(due).order_by("scheduled_for", "id")
    return list(ids.values_list("pk", flat=True)[:limit])


# --- retention ----------------------------------------------------------------------------------

_SETTLED = (DeliveryStatus.SENT, DeliveryStatus.SKIPPED, DeliveryStatus.FAILED)


def deliveries_purge(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Retention: deletes settled deliveries (sent, skipped, failed) created more than
    NOTIFICATIONS_DELIVERY_RETENTION_DAYS ago, bounded per run; returns how many. Pending and
    sending ones are still owed a send and stay, and so does every notification: it is the
    learner's inbox entry, read or not."""
    keep = datetime.timedelta(days=settings.NOTIFICATIONS_DELIVERY_RETENTION_DAYS)
    settled = DeliveryAttempt.objects.filter(
        status__in=_SETTLED, created_at__lt=timezone.now() - keep
    )
    return delete_in_batches(settled, batch_size=batch_size, max_batches=max_batches)
