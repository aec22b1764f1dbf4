"""Notifications: email (SMTP from EMAIL_URL, the console otherwise), FCM push, Twilio SMS,
delivery retries and leases, batch chunking and the beat entries of scheduled kinds."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import environ

from .environment import _fail, env, read_int

_CONSOLE_EMAIL = {"EMAIL_BACKEND": "django.core.mail.backends.console.EmailBackend"}


def email_config(raw: str, variable: str = "EMAIL_URL") -> dict[str, Any]:
    """Django's EMAIL_* settings from an `smtp://user:pass@host:port` (or smtp+tls, smtp+ssl)
    URL; the console backend when it is empty."""
    raw = raw.strip()
    if not raw:
        return dict(_CONSOLE_EMAIL)
    parts = urlsplit(raw)
    if parts.scheme not in {"smtp", "smtps", "smtp+tls", "smtp+ssl", "consolemail"}:
        raise _fail(variable, f"expected an smtp:// URL, got scheme {parts.scheme!r}")
    try:
        config: dict[str, Any] = environ.Env.email_url_config(raw)
    except ValueError as exc:
        raise _fail(variable, str(exc)) from None
    if parts.scheme != "consolemail" and not config.get("EMAIL_HOST"):
        raise _fail(variable, "the URL names no host")
    config.pop("EMAIL_FILE_PATH", None)
    return {name: value for name, value in config.items() if value is not None}


def _service_account() -> dict[str, Any] | None:
    raw: str = env.str("FCM_SERVICE_ACCOUNT_JSON", default="").strip()
    path: str = env.str("FCM_SERVICE_ACCOUNT_FILE", default="").strip()
    variable = "FCM_SERVICE_ACCOUNT_JSON"
    if not raw and path:
        variable = "FCM_SERVICE_ACCOUNT_FILE"
        try:
            raw = Path(path).read_text()
        except OSError as exc:
            raise _fail(variable, f"cannot read {path}: {exc.strerror}") from None
    if not raw:
        return None
    try:
        info = json.loads(raw)
    except ValueError:
        raise _fail(variable, "not valid JSON") from None
    missing = {"client_email", "private_key", "project_id", "token_uri"} - set(info or {})
    if not isinstance(info, dict) or missing:
        raise _fail(variable, f"a service account key needs {', '.join(sorted(missing))}")
    return info


globals().update(email_config(env.str("EMAIL_URL", default="")))
# Empty counts as unset (compose's env file lists the variable with no value).
DEFAULT_FROM_EMAIL: str = (
    env.str("DEFAULT_FROM_EMAIL", default="").strip() or "StudyMate <no-reply@localhost>"
)
EMAIL_TIMEOUT = read_int("EMAIL_TIMEOUT", default=10, minimum=1)
# The origin learners reach the API at, for links in mail that no request is behind (the
# unsubscribe link of reminders and digests sent by beat). `check --deploy` wants https.
PUBLIC_URL: str = (env.str("PUBLIC_URL", default="").strip() or "http://localhost:8000").rstrip("/")
if urlsplit(PUBLIC_URL).scheme not in {"http", "https"} or not urlsplit(PUBLIC_URL).hostname:
    raise _fail("PUBLIC_URL", f"expected an http(s):// origin, got {PUBLIC_URL!r}")
# How long the unsubscribe link of a bulk email works.
NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE_DAYS = read_int(
    "NOTIFICATIONS_UNSUBSCRIBE_MAX_AGE_DAYS", default=365, minimum=1
)

# FCM HTTP v1: the service account signs an OAuth2 assertion sent to its `token_uri`.
FCM_SERVICE_ACCOUNT: dict[str, Any] | None = _service_account()
FCM_API_BASE: str = env.str("FCM_API_BASE", default="https://fcm.googleapis.com").rstrip("/")

TWILIO_ACCOUNT_SID: str = env.str("TWILIO_ACCOUNT_SID", default="").strip()
TWILIO_AUTH_TOKEN: str = env.str("TWILIO_AUTH_TOKEN", default="").strip()
TWILIO_FROM_NUMBER: str = env.str("TWILIO_FROM_NUMBER", default="").strip()
TWILIO_API_BASE: str = env.str("TWILIO_API_BASE", default="https://api.twilio.com").rstrip("/")

# Seconds for one HTTP call to FCM or Twilio; the claim lease must outlast a send.
NOTIFICATIONS_HTTP_TIMEOUT = read_int("NOTIFICATIONS_HTTP_TIMEOUT", default=10, minimum=1)
NOTIFICATIONS_CLAIM_LEASE = read_int("NOTIFICATIONS_CLAIM_LEASE", default=120, minimum=30)
NOTIFICATIONS_MAX_ATTEMPTS = read_int("NOTIFICATIONS_MAX_ATTEMPTS", default=5, minimum=1)
NOTIFICATIONS_RETRY_BACKOFF = read_int("NOTIFICATIONS_RETRY_BACKOFF", default=30, minimum=0)
NOTIFICATIONS_RETRY_BACKOFF_MAX = read_int("NOTIFICATIONS_RETRY_BACKOFF_MAX", default=3600)
NOTIFICATIONS_BATCH_CHUNK_SIZE = read_int("NOTIFICATIONS_BATCH_CHUNK_SIZE", default=500, minimum=1)
# Beat looks for reminders due in the last this-many minutes (it runs at the same interval).
NOTIFICATIONS_REMINDER_WINDOW_MINUTES = read_int(
    "NOTIFICATIONS_REMINDER_WINDOW_MINUTES", default=5, minimum=1
)
# Local hour from which a learner who has not studied today hears that their streak may break.
NOTIFICATIONS_STREAK_RISK_HOUR = read_int("NOTIFICATIONS_STREAK_RISK_HOUR", default=20)
# Local weekday (0 = Monday) and hour of the weekly digest about the previous week.
NOTIFICATIONS_DIGEST_WEEKDAY = read_int("NOTIFICATIONS_DIGEST_WEEKDAY", default=0)
NOTIFICATIONS_DIGEST_HOUR = read_int("NOTIFICATIONS_DIGEST_HOUR", default=9)
for _name, _value, _top in (
    ("NOTIFICATIONS_STREAK_RISK_HOUR", NOTIFICATIONS_STREAK_RISK_HOUR, 23),
    ("NOTIFICATIONS_DIGEST_WEEKDAY", NOTIFICATIONS_DIGEST_WEEKDAY, 6),
    ("NOTIFICATIONS_DIGEST_HOUR", NOTIFICATIONS_DIGEST_HOUR, 23),
):
    if _value > _top:
        raise _fail(_name, f"must be at most {_top}, got {_value}")

# Settled deliveries (sent, skipped, failed) are kept this long for support ("did my reminder
# go out?") and a provider's bounce reports, which arrive within days; then beat deletes them
# (`notifications.purge_deliveries`). Notifications themselves stay: they are the inbox.
NOTIFICATIONS_DELIVERY_RETENTION_DAYS = read_int(
    "NOTIFICATIONS_DELIVERY_RETENTION_DAYS", default=30, minimum=1
)

_SCAN_SECONDS = NOTIFICATIONS_REMINDER_WINDOW_MINUTES * 60.0
NOTIFICATIONS_BEAT_SCHEDULE: dict[str, dict[str, object]] = {
    "notifications-goal-reminders": {
        "task": "notifications.send_goal_reminders",
        "schedule": _SCAN_SECONDS,
    },
    "notifications-streak-risk": {"task": "notifications.send_streak_risk", "schedule": 900.0},
    "notifications-weekly-digest": {"task": "notifications.send_weekly_digest", "schedule": 900.0},
    "notifications-deliver-due": {"task": "notifications.deliver_due", "schedule": 60.0},
    "notifications-start-batches": {"task": "notifications.start_due_batches", "schedule": 60.0},
    "notifications-purge-deliveries": {
        "task": "notifications.purge_deliveries",
        "schedule": 3600.0,
        "options": {"expires": 3600.0},
    },
}
