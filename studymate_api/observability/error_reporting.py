"""Sentry-protocol error reports (Sentry itself, GlitchTip, ...), only when `SENTRY_DSN` is set.

No personal data leaves the process: `send_default_pii` is off (no user ids, IPs, bodies or
cookies) and `before_send` drops credentials that could still ride along in headers.
"""

from __future__ import annotations

from typing import Any

from .request_id import LOG_KEY, current_request_id

_FILTERED = "[Filtered]"
_SECRET_HEADERS = frozenset(
    {"authorization", "proxy-authorization", "cookie", "set-cookie", "x-api-key", "x-csrftoken"}
)


def scrub_event(event: dict[str, Any], hint: dict[str, Any] | None = None) -> dict[str, Any]:
    """Drops credentials and tags the event with the request id, to find its log lines."""
    request_id = current_request_id()
    if request_id is not None:
        event.setdefault("tags", {})[LOG_KEY] = request_id
    request = event.get("request")
    if isinstance(request, dict):
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if name.lower() in _SECRET_HEADERS:
                    headers[name] = _FILTERED
        if "cookies" in request:
            request["cookies"] = _FILTERED
    return event


def configure_error_reporting(
    *, dsn: str, environment: str, release: str | None, traces_sample_rate: float
) -> None:
    import sentry_sdk
    from sentry_sdk.integrations.celery import CeleryIntegration
    from sentry_sdk.integrations.django import DjangoIntegration

    sentry_sdk.init(
        dsn=dsn,
        environment=environment,
        release=release,
        send_default_pii=False,
        traces_sample_rate=traces_sample_rate or None,
        integrations=[DjangoIntegration(), CeleryIntegration()],
        before_send=scrub_event,  # type: ignore[arg-type]
    )
