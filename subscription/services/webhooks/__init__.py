"""Stripe webhooks: verification, storing each event once, and the handlers."""

from .receive import WebhookReceipt, webhook_receive

__all__ = ["WebhookReceipt", "webhook_receive"]
