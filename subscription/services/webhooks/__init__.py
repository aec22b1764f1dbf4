"""Stripe webhooks: verification, storing each event once, and the handlers."""

from .receive import WebhookReceipt, webhook_events_purge, webhook_receive

__all__ = ["WebhookReceipt", "webhook_events_purge", "webhook_receive"]
