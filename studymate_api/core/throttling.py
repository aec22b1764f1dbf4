"""Throttles that read their rates when used, so settings overrides (and tests) take effect."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import AnonRateThrottle, SimpleRateThrottle, UserRateThrottle

from .requests import client_ip

if TYPE_CHECKING:  # rest_framework.views imports this module through the settings
    from rest_framework.views import APIView


class _LiveRatesMixin(SimpleRateThrottle):
    def get_rate(self) -> str | None:
        rate = api_settings.DEFAULT_THROTTLE_RATES.get(self.scope or "")
        return str(rate) if rate else None

    def get_ident(self, request: Request) -> str:
        return client_ip(request._request) or "unknown"


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
