"""Background work of subscription. Each task calls one service."""

from __future__ import annotations

from celery import shared_task

from .services.webhooks import webhook_events_purge


@shared_task(
    name="subscription.purge_webhook_events",
    ignore_result=True,
    soft_time_limit=100,
    time_limit=120,
)
def purge_webhook_events() -> int:
    """The retention of `WebhookEvent` (BILLING_BEAT_SCHEDULE): events processed longer ago than
    BILLING_WEBHOOK_EVENTS_RETENTION_DAYS, bounded per run; safe to run twice."""
    return webhook_events_purge()
