"""Which providers a request tries, in order: the caller's provider (the request's choice or the
user's preference) if it is enabled, then AI_FALLBACK_ORDER's enabled providers, `local` last.
"""

from __future__ import annotations

import structlog
from django.utils.translation import gettext_lazy as _

from studymate_api.core.errors import validation_failed

from .config import LOCAL, PROVIDERS, gateway_config, is_enabled

logger = structlog.get_logger(__name__)


def enabled_providers() -> list[str]:
    """Every provider a request could use now, in fallback order."""
    return route(None)


def route(preferred: str | None, *, fallback: bool = True) -> list[str]:
    if preferred is not None and preferred not in PROVIDERS:
        raise validation_failed(
            "provider", _("Unknown AI provider. Choose one of: %s.") % ", ".join(PROVIDERS)
        )
    order: list[str] = []
    if preferred and is_enabled(preferred):
        order.append(preferred)
    elif preferred:
        # A preference for a provider without a key (e.g. saved before the key was removed) is
        # not the learner's fault: serve them from the fallback order.
        logger.info("ai_preferred_provider_disabled", provider=preferred)
    if order == [LOCAL]:
        return order
    for name in gateway_config().fallback_order:
        if name != LOCAL and is_enabled(name) and name not in order:
            order.append(name)
    order.append(LOCAL)
    return order if fallback else order[:1]
