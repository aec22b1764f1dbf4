"""Throttles that read their rates when used, so settings overrides (and tests) take effect."""

from __future__ import annotations

from typing import TYPE_CHECKING

import structlog
from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from .requests import client_ip

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.views import APIView

logger = structlog.get_logger(__name__)


class _LiveRatesMixin(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return str(rate) if rate else None

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request) or "unknown"

    def allow_request(self, request: Request, view: APIView) -> bool:
        """Fails open when the cache holding the counters is down: an outage of Redis must
        not turn every request into a 500 (the cache guard's errors; anything else is a bug)."""
        try:
            return super().allow_request(request, view)
        except Exception as error:
            # Imported here: this module loads with DRF's settings, before the cache package.
            from studymate_api.cache.guard import BACKEND_ERRORS

            if not isinstance(error, BACKEND_ERRORS):
                raise
            logger.warning("throttle_cache_unavailable", scope=self.scope, error=str(error))
            return True


class AnonThrottle(_LiveRatesMixin, AnonRateThrottle):
    scope = "anon"


class UserThrottle(_LiveRatesMixin, UserRateThrottle):
    scope = "user"


class PerIPThrottle(_LiveRatesMixin):
    """Counts every request of a scope per client address, signed in or not."""

    def get_cache_key(self, request: Request, view: APIView) -> str:
        return self.cache_format % {"scope": self.scope, "ident": self.get_ident(request)}


class LoginThrottle(PerIPThrottle):
    scope = "login"


class RegisterThrottle(PerIPThrottle):
    scope = "register"
