"""`notify`: the one way anything in the platform reaches a learner.

Rendering, preferences, quiet hours and de-duplication happen here, in the caller's
transaction, in two statements and no savepoint (the notification, its deliveries; the
templates come from the cache); the deliveries (one row per channel) go out after
commit: the in-app one pushed by this process, the others by one task each. A channel that cannot
send at all (push without FCM) is recorded skipped at once.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any

import structlog
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from ..channels import SENDERS
from ..kinds import DEFAULT_CHANNELS, QUIET_CHANNELS, Channel
from ..models import DeliveryAttempt, DeliveryStatus, Notification
from ..quiet_hours import quiet_until
from ..rendering import Rendered, pick_template, render, template_for, templates_of
from .delivery import delivery_send_claimed
from .preferences import channel_enabled
from .recipients import Recipient, recipient_for

if TYPE_CHECKING:
    from accounts.models import User

logger = structlog.get_logger(__name__)

DISABLED_REASON = "disabled in the learner's preferences"


def notify(
    *,
    user: User,
    kind: str,
    context: Mapping[str, Any],
    channels: Sequence[str] | None = None,
    dedup_key: str | None = None,
) -> Notification:
    """Store the learner's notification and schedule its deliveries.

    `channels` defaults to the kind's (see `kinds.DEFAULT_CHANNELS`); each is then kept only if
    the learner's preferences allow it for this kind (the others are recorded as skipped).
    Email, push and SMS inside the learner's quiet hours are scheduled for the end of the
    window. With a `dedup_key` the learner already has, nothing new happens and that
    notification is returned. Delivery tasks are enqueued only when the transaction commits.
    """
    notification, _created = notify_recipient(
        recipient_for(user), kind=kind, context=context, channels=channels, dedup_key=dedup_key
    )
    return notification


def notify_recipient(
    recipient: Recipient,
    *,
    kind: str,
    context: Mapping[str, Any],
    channels: Sequence[str] | None = None,
    dedup_key: str | None = None,
) -> tuple[Notification, bool]:
    """`notify` for a recipient already loaded; says whether a notification was created."""
    rendered = notification_render(recipient, kind=kind, context=context)
    # No savepoint: nothing here fails at the database (a duplicate key inserts nothing), so
    # inside the caller's transaction (the outbox's) this adds no statement of its own.
    with transaction.atomic(savepoint=False):
        notification = Notification(
            **notification_fields(recipient, kind, context, rendered, dedup_key)
        )
        if not _insert_unless_duplicate(notification):
            # The learner has this key already (a repeat, or a concurrent notify won).
            existing = _existing(recipient, dedup_key) if dedup_key else None
            if existing is None:
                raise IntegrityError(f"notification {kind!r} was neither stored nor found")
            return existing, False
        now = timezone.now()
        deliveries = _plan(notification, recipient, rendered, channels, now)
        in_app = _claim_in_app(deliveries, now)
        DeliveryAttempt.objects.bulk_create(deliveries)
        due = pending_schedule(deliveries)
        transaction.on_commit(lambda: _deliver(in_app, due), robust=True)
    return notification, True


def _claim_in_app(
    deliveries: list[DeliveryAttempt], now: datetime.datetime
) -> list[DeliveryAttempt]:
    """The in-app deliveries due now, stored already claimed by this process: after commit it
    pushes them itself (a message on the channel layer, no network wait) and settles each with
    one UPDATE, no task, no claim round trip. Should the process die first, the claim's lease
    runs out and the `deliver_due` sweep sends them, as for any claimed delivery."""
    claimed = []
    for delivery in deliveries:
        due_now = delivery.scheduled_for <= now
        if (
            delivery.channel == Channel.IN_APP
            and delivery.status == DeliveryStatus.PENDING
            and due_now
        ):
            delivery.status = DeliveryStatus.SENDING
            delivery.claimed_at = now
            delivery.attempts = 1
            claimed.append(delivery)
    return claimed


def _deliver(claimed: list[DeliveryAttempt], due: list[tuple[int, str]]) -> None:
    retries = []
    for delivery in claimed:
        result = delivery_send_claimed(delivery)
        if result.retry_at is not None:
            retries.append((delivery.pk, result.retry_at.isoformat()))
    enqueue_deliveries([*due, *retries])


def notify_many(
    recipients: Sequence[Recipient],
    *,
    kind: str,
    context: Mapping[str, Any],
    channels: Sequence[str] | None,
    dedup_key: str,
) -> tuple[list[Notification], list[DeliveryAttempt]]:
    """`notify` for many learners with a handful of queries (batches): learners who already
    have `dedup_key` are left out. Returns the new notifications and their deliveries, saved;
    the caller enqueues the pending ones after commit. Raises TemplateMissing."""
    templates = templates_of(kind)
    users = [r.user.pk for r in recipients]
    have = set(
        Notification.objects.filter(user_id__in=users, dedup_key=dedup_key).values_list(
            "user_id", flat=True
        )
    )
    fresh = [r for r in recipients if r.user.pk not in have]
    rendered = [
        render(pick_template(kind, r.language, templates), _full_context(r, context)) for r in fresh
    ]
    notifications = Notification.objects.bulk_create(
        Notification(**notification_fields(r, kind, context, words, dedup_key))
        for r, words in zip(fresh, rendered, strict=True)
    )
    now = timezone.now()
    deliveries = [
        delivery
        for notification, r, words in zip(notifications, fresh, rendered, strict=True)
        for delivery in _plan(notification, r, words, channels, now)
    ]
    return notifications, DeliveryAttempt.objects.bulk_create(deliveries)


def notification_render(recipient: Recipient, *, kind: str, context: Mapping[str, Any]) -> Rendered:
    """The words `notify` gives this learner for the kind: their language's template, else
    English, with their name in the context. Raises TemplateMissing."""
    return render(template_for(kind, recipient.language), _full_context(recipient, context))


def channels_planned(kind: str, channels: Sequence[str] | None) -> list[tuple[str, str | None]]:
    """The channels a notification of the kind goes out on (`channels`, else the kind's), each
    with why it cannot send at all (not configured), or None."""
    return [(channel, _unavailable(channel)) for channel in _channels(kind, channels)]


def _full_context(recipient: Recipient, context: Mapping[str, Any]) -> dict[str, Any]:
    return {"name": recipient.name, **context}


def _existing(recipient: Recipient, dedup_key: str) -> Notification | None:
    return Notification.objects.filter(user=recipient.user, dedup_key=dedup_key).first()


def _insert_unless_duplicate(notification: Notification) -> bool:
    """INSERT ... ON CONFLICT DO NOTHING RETURNING id: False (nothing stored) when the learner
    already has the notification's dedup key. One statement, no savepoint, whatever happens."""
    meta = Notification._meta
    fields = [field for field in meta.concrete_fields if not field.primary_key]
    values = [
        field.get_db_prep_save(field.pre_save(notification, True), connection) for field in fields
    ]
    quote = connection.ops.quote_name
    columns = ", ".join(quote(field.column) for field in fields)
    placeholders = ", ".join(["%s"] * len(fields))
    # Identifiers from the model's metadata, quoted; every value is a parameter.
    sql = (
        f"INSERT INTO {quote(meta.db_table)} ({columns}) VALUES ({placeholders})"  # noqa: S608
        f" ON CONFLICT DO NOTHING RETURNING {quote(meta.pk.column)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, values)
        row = cursor.fetchone()
    if row is None:
        return False
    notification.pk = row[0]
    notification._state.adding = False
    notification._state.db = connection.alias
    return True


def notification_fields(
    recipient: Recipient,
    kind: str,
    context: Mapping[str, Any],
    rendered: Rendered,
    dedup_key: str | None,
) -> dict[str, Any]:
    return {
        "user": recipient.user,
        "kind": kind,
        "title": rendered.subject[:300],
        "body": rendered.text,
        "data": dict(context),
        "language": rendered.language,
        "dedup_key": dedup_key,
    }


def _plan(
    notification: Notification,
    recipient: Recipient,
    rendered: Rendered,
    channels: Sequence[str] | None,
    now: datetime.datetime,
) -> list[DeliveryAttempt]:
    return plan_deliveries(
        notification, recipient, rendered, channels, now, quiet_end=_quiet_end(recipient, now)
    )


def _quiet_end(recipient: Recipient, now: datetime.datetime) -> datetime.datetime | None:
    preference = recipient.preference
    return quiet_until(
        now, recipient.zone, preference.quiet_hours_start, preference.quiet_hours_end
    )


def plan_deliveries(
    notification: Notification,
    recipient: Recipient,
    rendered: Rendered,
    channels: Sequence[str] | None,
    now: datetime.datetime,
    *,
    quiet_end: datetime.datetime | None,
) -> list[DeliveryAttempt]:
    """One unsaved attempt per channel: skipped when the preferences turn it off, otherwise
    pending from now or from the end of the quiet window."""
    wanted = _channels(notification.kind, channels)
    deliveries = []
    for channel in wanted:
        allowed = channel_enabled(recipient.preference, notification.kind, channel)
        # A channel that cannot send at all (not configured) is skipped now, not by a task.
        unavailable = _unavailable(channel) if allowed else None
        held = quiet_end if channel in QUIET_CHANNELS and quiet_end else None
        deliveries.append(
            DeliveryAttempt(
                notification=notification,
                channel=channel,
                status=DeliveryStatus.PENDING
                if allowed and not unavailable
                else DeliveryStatus.SKIPPED,
                last_error=DISABLED_REASON if not allowed else unavailable or "",
                scheduled_for=held or now,
                detail={"content": channel_content(channel, rendered)} if allowed else {},
            )
        )
    return deliveries


def _unavailable(channel: str) -> str | None:
    """Why the channel cannot send at all (see `PushSender.unavailable`), or None."""
    check = getattr(SENDERS[channel], "unavailable", None)
    reason = check() if check is not None else None
    return str(reason) if reason else None


def _channels(kind: str, channels: Sequence[str] | None) -> list[str]:
    chosen = DEFAULT_CHANNELS.get(kind, (Channel.IN_APP,)) if channels is None else channels
    return list(dict.fromkeys(str(c) for c in chosen if c in Channel.values))


def channel_content(channel: str, rendered: Rendered) -> dict[str, str]:
    """The words a channel sends, fixed at notify time so a retry sends the same message."""
    if channel == Channel.EMAIL:
        return {"subject": rendered.subject, "text": rendered.text, "html": rendered.html}
    if channel == Channel.PUSH:
        return {"title": rendered.subject, "body": rendered.push}
    if channel == Channel.SMS:
        return {"body": rendered.sms}
    return {"title": rendered.subject, "body": rendered.text}


def pending_schedule(deliveries: Iterable[DeliveryAttempt]) -> list[tuple[int, str]]:
    return [
        (d.pk, d.scheduled_for.isoformat())
        for d in deliveries
        if d.status == DeliveryStatus.PENDING and d.pk is not None
    ]


def enqueue_deliveries(due: Iterable[tuple[int, str]]) -> None:
    """One task per delivery, with an ETA at its scheduled time. A broker that refuses is
    logged, not raised: the `deliver_due` sweep sends what was never enqueued."""
    from ..tasks import deliver

    now = timezone.now()
    for delivery_id, scheduled_for in due:
        eta = datetime.datetime.fromisoformat(scheduled_for)
        try:
            if eta > now:
                deliver.apply_async((delivery_id,), eta=eta)
            else:
                deliver.delay(delivery_id)
        except Exception:
            logger.warning("notifications.enqueue_failed", delivery_id=delivery_id, exc_info=True)
