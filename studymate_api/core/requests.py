"""Facts about the incoming request that several layers need (client address, user agent)."""

from __future__ import annotations

from ipaddress import ip_address

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str | None:
    """The caller's address, trusting X-Forwarded-For only as far as TRUSTED_PROXY_COUNT says.

    Each trusted proxy appends the address it saw, so the client is the entry that many
    places from the right; anything further left was written by the client and is ignored.
    """
    proxies: int = settings.TRUSTED_PROXY_COUNT
    candidate = request.META.get("REMOTE_ADDR")
    if proxies:
        forwarded = [a.strip() for a in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
        forwarded = [a for a in forwarded if a]
        if len(forwarded) >= proxies:
            candidate = forwarded[-proxies]
    return candidate if _is_ip(candidate) else None


def user_agent(request: HttpRequest, *, limit: int = 512) -> str:
    return str(request.META.get("HTTP_USER_AGENT", ""))[:limit]


def _is_ip(value: str | None) -> bool:
    if not value:
        return False
    try:
        ip_address(value)
    except ValueError:
        return False
    return True
