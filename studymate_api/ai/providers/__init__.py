"""The providers, each behind the same small interface (`base.Provider`)."""

from __future__ import annotations

from ..config import LOCAL, remote_config
from .anthropic import AnthropicProvider
from .base import Provider
from .local import LocalProvider
from .openai import OpenAIProvider
from .together import TogetherProvider

__all__ = ["Provider", "get_provider"]


def get_provider(name: str) -> Provider:
    """The provider by name, built from the current settings (cheap: SDK clients are cached
    per configuration)."""
    if name == LOCAL:
        return LocalProvider()
    config = remote_config(name)
    if name == "openai":
        return OpenAIProvider(config)
    if name == "anthropic":
        return AnthropicProvider(config)
    if name == "together":
        return TogetherProvider(config)
    raise KeyError(f"unknown AI provider {name!r}")
