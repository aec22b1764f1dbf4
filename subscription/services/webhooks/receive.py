"""Receiving a Stripe webhook.

1. The signature is checked by the official library (`stripe.WebhookSignature.verify_header`,
   what `stripe.Webhook.construct_event` runs): a missing, invalid or expired (older than
   STRIPE_WEBHOOK_TOLERANCE) signature is a 400 and nothing is stored; so is a signed body
   that is not a Stripe event's JSON envelope.
2. The event is stored by its id in the same transaction as its effects: a replay or a retry
   of an event already stored does nothing. A handler that fails rolls everything back, so the
   error makes Stripe deliver the event again later.
3. Work that may be slow or talk to others (signals, metrics) runs after the commit.
"""

from __future__ import annotations

import datetime
import json
from dataclasses import dataclass
from typing import Any

import stripe
import structlog
from django.conf import settings
from django.db import DataError, IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import BillingNotConfigured, Conflict, validation_failed
from studymate_api.core.retention import delete_in_batches

from ...models import WebhookEvent
from ...stripe_api import webhooks_configured
from .handlers import handle

logger = structlog.get_logger(__name__)

SIGNATURE_HEADER = "Stripe-Signature"


@dataclass(frozen=True)
class WebhookReceipt:
    event_id: str
    duplicate: bool
    outcome: str


def webhook_receive(*, payload: bytes, signature: str | None) -> WebhookReceipt:
    data = _verified(payload, signature)
    try:
        with transaction.atomic():
            return _store_and_handle(data)
    except IntegrityError as error:
        # Two deliveries raced to create the same row; the loser is told to come back.
        logger.warning("stripe_webhook_race", event_id=data.get("id"), error=str(error))
        raise Conflict(_("The event is being processed. Retry later.")) from error
    except (KeyError, TypeError, ValueError, AttributeError, DataError) as error:
        # Signed by Stripe but not shaped as we read it: refuse it (nothing is stored, Stripe
        # retries) and leave the trace for whoever updates the handler.
        logger.exception("stripe_webhook_unreadable", event_id=data.get("id"))
        raise validation_failed("body", _("The event could not be read.")) from error


def _verified(payload: bytes, signature: str | None) -> dict[str, Any]:
    if not webhooks_configured():
        raise BillingNotConfigured()
    if not signature:
        raise validation_failed(SIGNATURE_HEADER, _("The Stripe signature header is missing."))
    try:
        text = payload.decode("utf-8")
        stripe.WebhookSignature.verify_header(
            text, signature, settings.STRIPE_WEBHOOK_SECRET, settings.STRIPE_WEBHOOK_TOLERANCE
        )
        data = json.loads(text)
    except stripe.SignatureVerificationError:
        raise validation_failed(
            SIGNATURE_HEADER, _("The Stripe signature is invalid or has expired.")
        ) from None
    except ValueError:  # not UTF-8 or not JSON, though signed
        raise validation_failed("body", _("The event is not valid JSON.")) from None
    if not _is_event(data):
        raise validation_failed("body", _("The event is not a Stripe event."))
    return dict(data)


# Stripe's `created` is a Unix time; anything outside these bounds is not one.
_EARLIEST, _LATEST = 0, 253_402_300_799  # 9999-12-31T23:59:59Z


def _is_event(data: Any) -> bool:
    """The envelope every Stripe event has, with values that fit where we store them: string
    `id` (<= 255 characters) and `type` (<= 100), an integer `created` in range, and
    `data.object` an object, whose id (some objects, e.g. a balance, have none) is a string."""
    if not isinstance(data, dict):
        return False
    created, body = data.get("created"), data.get("data")
    obj = body.get("object") if isinstance(body, dict) else None
    return (
        _is_text(data.get("id"), 255)
        and _is_text(data.get("type"), 100)
        and isinstance(created, int)
        and not isinstance(created, bool)
        and _EARLIEST <= created <= _LATEST
        and isinstance(obj, dict)
        and ("id" not in obj or _is_text(obj["id"], 255))
    )


def _is_text(value: Any, limit: int) -> bool:
    return isinstance(value, str) and 0 < len(value) <= limit


def _store_and_handle(data: dict[str, Any]) -> WebhookReceipt:
    if WebhookEvent.objects.filter(stripe_event_id=data["id"]).exists():
        return WebhookReceipt(data["id"], duplicate=True, outcome="duplicate")
    event = WebhookEvent.objects.create(
        stripe_event_id=data["id"],
        event_type=data["type"],
        stripe_created_at=datetime.datetime.fromtimestamp(int(data["created"]), tz=datetime.UTC),
        livemode=bool(data.get("livemode")),
        payload=data,
    )
    outcome = handle(event)
    event.outcome = outcome[:255]
    event.processed_at = timezone.now()
    event.save(update_fields=["outcome", "processed_at"])
    logger.info("stripe_webhook_processed", event_id=event.stripe_event_id, outcome=outcome)
    return WebhookReceipt(event.stripe_event_id, duplicate=False, outcome=outcome)


# --- retention ----------------------------------------------------------------------------------


def webhook_events_purge(*, batch_size: int = 5000, max_batches: int = 20) -> int:
    """Retention: deletes events processed more than BILLING_WEBHOOK_EVENTS_RETENTION_DAYS ago,
    bounded per run; returns how many. Within that window a redelivered event still finds its
    row and does nothing (see the module docstring); Stripe redelivers for three days at most,
    and the window is longer (the setting's minimum is four days)."""
    keep = datetime.timedelta(days=settings.BILLING_WEBHOOK_EVENTS_RETENTION_DAYS)
    old = WebhookEvent.objects.filter(processed_at__lt=timezone.now() - keep)
    return delete_in_batches(old, batch_size=batch_size, max_batches=max_batches)
