"""Settings of the subscription app: Stripe, checkout return URLs and AI credits.

Billing is on iff STRIPE_SECRET_KEY is set; the webhook endpoint also needs
STRIPE_WEBHOOK_SECRET. Without them the billing endpoints answer 503 `billing_not_configured`
and credits keep working. STRIPE_API_BASE exists for tests and local stand-ins of the API.
"""

from __future__ import annotations

from urllib.parse import urlsplit

from django.core.exceptions import ImproperlyConfigured

from .environment import env, read_bool, read_int

_SECRET_KEY_PREFIXES = ("sk_", "rk_")


def _read_text(variable: str, *, default: str = "") -> str:
    return str(env.str(variable, default="")).strip() or default


def _read_url(variable: str, *, default: str) -> str:
    raw = _read_text(variable, default=default)
    parts = urlsplit(raw)
    if parts.scheme not in {"http", "https"} or not parts.hostname:
        raise ImproperlyConfigured(f"{variable}: expected an http(s):// URL, got {raw!r}")
    return raw


def _read_secret_key() -> str:
    key = _read_text("STRIPE_SECRET_KEY")
    if key and not key.startswith(_SECRET_KEY_PREFIXES):
        raise ImproperlyConfigured(
            "STRIPE_SECRET_KEY: expected a secret (sk_...) or restricted (rk_...) key"
        )
    return key


def _read_webhook_secret() -> str:
    secret = _read_text("STRIPE_WEBHOOK_SECRET")
    if secret and not secret.startswith("whsec_"):
        raise ImproperlyConfigured("STRIPE_WEBHOOK_SECRET: expected a signing secret (whsec_...)")
    return secret


STRIPE_SECRET_KEY = _read_secret_key()
STRIPE_WEBHOOK_SECRET = _read_webhook_secret()
STRIPE_API_BASE = _read_url("STRIPE_API_BASE", default="https://api.stripe.com").rstrip("/")
# Seconds a webhook signature stays valid (Stripe's own default): older ones are replays.
STRIPE_WEBHOOK_TOLERANCE = read_int("STRIPE_WEBHOOK_TOLERANCE", default=300, minimum=1)
STRIPE_TIMEOUT = read_int("STRIPE_TIMEOUT", default=20, minimum=1)
STRIPE_MAX_NETWORK_RETRIES = read_int("STRIPE_MAX_NETWORK_RETRIES", default=2)

# Where Stripe sends the browser back; {CHECKOUT_SESSION_ID} is filled in by Stripe.
BILLING_SUCCESS_URL = _read_url(
    "BILLING_SUCCESS_URL",
    default="http://localhost:3000/billing/success?session_id={CHECKOUT_SESSION_ID}",
)
BILLING_CANCEL_URL = _read_url("BILLING_CANCEL_URL", default="http://localhost:3000/billing")
BILLING_PORTAL_RETURN_URL = _read_url(
    "BILLING_PORTAL_RETURN_URL", default="http://localhost:3000/billing"
)
# Where a credit top-up's checkout returns to; the subscription checkout's pages by default.
BILLING_TOP_UP_SUCCESS_URL = _read_url("BILLING_TOP_UP_SUCCESS_URL", default=BILLING_SUCCESS_URL)
BILLING_TOP_UP_CANCEL_URL = _read_url("BILLING_TOP_UP_CANCEL_URL", default=BILLING_CANCEL_URL)

# The free plan every learner has without a subscription, created on first use.
BILLING_FREE_PLAN_MONTHLY_CREDITS = read_int("BILLING_FREE_PLAN_MONTHLY_CREDITS", default=30)
BILLING_FREE_PLAN_CURRENCY = _read_text("BILLING_FREE_PLAN_CURRENCY", default="krw").lower()
if not (len(BILLING_FREE_PLAN_CURRENCY) == 3 and BILLING_FREE_PLAN_CURRENCY.isalpha()):
    raise ImproperlyConfigured("BILLING_FREE_PLAN_CURRENCY: expected a three-letter ISO code")

# Off: the AI gateway's requests are free (the credit hook is not installed).
BILLING_CREDITS_ENABLED = read_bool("BILLING_CREDITS_ENABLED", default=True)

# On: what only the offline `local` provider can answer (no hosted provider's key, or the
# learner chose it) is free, and a request a hosted provider failed that `local` answered is
# given back, so a demo or self-hosted install never runs out of credits. Off: local answers
# cost what the task costs, as a hosted model's do.
BILLING_LOCAL_PROVIDER_FREE = read_bool("BILLING_LOCAL_PROVIDER_FREE", default=True)

# Credits one AI request costs, by gateway task family; 0 makes it free.
BILLING_AI_CREDIT_COSTS: dict[str, int] = {
    "summary": read_int("BILLING_CREDITS_SUMMARY", default=1),
    "quiz_generation": read_int("BILLING_CREDITS_QUIZ_GENERATION", default=2),
    "essay_grading": read_int("BILLING_CREDITS_ESSAY_GRADING", default=1),
    "chat": read_int("BILLING_CREDITS_CHAT", default=0),
}

# Every Stripe event we accepted is stored by its id, and a redelivery of one finds it and does
# nothing. Stripe retries an unacknowledged event for up to three days, and events stay listed
# (and can be resent by hand) for 30: processed events are kept 30 days, at least four, then
# beat deletes them (`subscription.purge_webhook_events`).
BILLING_WEBHOOK_EVENTS_RETENTION_DAYS = read_int(
    "BILLING_WEBHOOK_EVENTS_RETENTION_DAYS", default=30, minimum=4
)
BILLING_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "subscription-purge-webhook-events": {
        "task": "subscription.purge_webhook_events",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
