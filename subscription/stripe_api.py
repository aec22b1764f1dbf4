"""The one place that builds a Stripe client and turns Stripe's failures into ours.

No module of this app calls Stripe without going through `stripe_client()`, which refuses with
503 `billing_not_configured` when STRIPE_SECRET_KEY is unset. Stripe objects are read back as
plain dicts (`as_dict`), so handlers work the same on API answers and on webhook payloads.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe
import structlog
from django.conf import settings
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import BillingNotConfigured, ServiceUnavailable

logger = structlog.get_logger(__name__)


class PaymentProviderUnavailable(ServiceUnavailable):
    default_message = _("The payment provider could not be reached. Try again later.")


def billing_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY)


def webhooks_configured() -> bool:
    return bool(settings.STRIPE_SECRET_KEY and settings.STRIPE_WEBHOOK_SECRET)


def stripe_client() -> stripe.StripeClient:
    if not billing_configured():
        raise BillingNotConfigured()
    return stripe.StripeClient(
        settings.STRIPE_SECRET_KEY,
        base_addresses={"api": settings.STRIPE_API_BASE},
        max_network_retries=settings.STRIPE_MAX_NETWORK_RETRIES,
        http_client=stripe.RequestsClient(timeout=settings.STRIPE_TIMEOUT),
    )


@contextmanager
def stripe_errors(action: str) -> Iterator[None]:
    """Stripe's errors become 503 `service_unavailable` for the caller, logged with `action`;
    ours pass through."""
    try:
        yield
    except stripe.StripeError as error:
        logger.warning(
            "stripe_call_failed",
            action=action,
            http_status=error.http_status,
            code=error.code,
            message=error.user_message or str(error),
        )
        raise PaymentProviderUnavailable() from error


def as_dict(obj: stripe.StripeObject) -> dict[str, Any]:
    return obj.to_dict(recursive=True, for_json=True)


def is_missing(error: stripe.StripeError) -> bool:
    return isinstance(error, stripe.InvalidRequestError) and error.http_status == 404


def stripe_id(value: Any) -> str:
    """The id of a Stripe reference, whether it came as an id or as an expanded object."""
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return str(value.get("id") or "")
    return ""
