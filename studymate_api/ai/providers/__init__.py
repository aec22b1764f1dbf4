"""The providers, each behind the same small interface (`base.Provider`).

A hosted provider's module (and its SDK) is imported the first time that provider is asked
for, not when Django starts: the SDKs (`openai`, which Together goes through too, and
`anthropic`) take seconds to import, which every process paid before (each `manage.py`
command, the probes that run them, workers of a deployment without keys), although most use
the offline provider or one hosted one.
"""

from __future__ import annotations

from ..config import LOCAL, remote_config
from .base import Provider
from .local import LocalProvider

__all__ = ["Provider", "get_provider"]


def get_provider(name: str) -> Provider:
    """The provider by name, built from the current settings (cheap: SDK clients are cached
    per configuration)."""
    if name == LOCAL:
        return LocalProvider()
    config = remote_config(name)
    if name == "openai":
        from .openai import OpenAIProvider

        return OpenAIProvider(config)
    if name == "anthropic":
        from .anthropic import AnthropicProvider

        return AnthropicProvider(config)
    if name == "together":
        from .together import TogetherProvider

        return TogetherProvider(config)
    raise KeyError(f"unknown AI provider {name!r}")
