"""The one place that builds a Stripe client and turns Stripe's failures into ours.

No module of this app calls Stripe without going through `stripe_client()`, which refuses with
503 `billing_not_configured` when STRIPE_SECRET_KEY is unset. Stripe objects are read back as
plain dicts (`as_dict`), so handlers work the same on API answers and on webhook payloads.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import stripe
import structlog
from django.conf import settings
from django.utils.translation import gettext
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


def stripe_failure(error: BaseException) -> str | None:
    """What Stripe said, for an operator (`manage.py billing_sync_plans`), in the active
    language: the Stripe error that caused `error` (ours wrap theirs, see `stripe_errors`) named
    as itself, with its HTTP status and code: a missing object, a refused key, a connection that
    failed. None when no Stripe error is in the chain."""
    cause: BaseException | None = error
    while cause is not None and not isinstance(cause, stripe.StripeError):
        cause = cause.__cause__
    if cause is None:
        return None
    message = (cause.user_message or str(cause)).strip().rstrip(".")
    status = f"HTTP {cause.http_status}" + (f", {cause.code}" if cause.code else "")
    if cause.request_id:
        message += f" (request {cause.request_id})"
    values = {"status": status, "message": message}
    if isinstance(cause, stripe.APIConnectionError):
        return gettext("Could not connect to Stripe at %(url)s: %(reason)s") % {
            "url": settings.STRIPE_API_BASE,
            "reason": _network_reason(str(cause)),
        }
    if isinstance(cause, stripe.AuthenticationError):
        text = gettext(
            "Stripe refused the API key (%(status)s): %(message)s. Check STRIPE_SECRET_KEY."
        )
    elif isinstance(cause, stripe.PermissionError):
        text = gettext("The API key is not allowed to do this (%(status)s): %(message)s.")
    elif is_missing(cause):
        text = gettext(
            "Stripe has no such object (%(status)s): %(message)s. The stored id was made with "
            "another Stripe account or mode (test or live key), or deleted there."
        )
    elif isinstance(cause, stripe.RateLimitError):
        text = gettext("Stripe is limiting this key's request rate (%(status)s): %(message)s.")
    elif isinstance(cause, stripe.InvalidRequestError):
        text = gettext("Stripe rejected the request (%(status)s): %(message)s.")
    elif cause.http_status is not None and cause.http_status >= 500:
        text = gettext("Stripe failed with a server error (%(status)s): %(message)s.")
    else:
        text = gettext("Stripe answered with an error (%(status)s): %(message)s.")
    return text % values


def _network_reason(text: str) -> str:
    """The cause in the SDK's long connection message: "[Errno 111] Connection refused", "Read
    timed out.", else the network error it quotes, else the whole message."""
    errno = re.search(r"\[Errno -?\d+\][^\"')]*", text)
    if errno:
        return errno.group(0).strip()
    timeout = re.search(r"(?:Read|Connect) timed out\.?", text)
    if timeout:
        return timeout.group(0)
    network = re.search(r"\(Network error: (.*)\)\s*$", text, re.DOTALL)
    return (network.group(1) if network else text).strip()


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
