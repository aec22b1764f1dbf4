"""What every provider offers the gateway, and how SDK failures become `ProviderError`s.

The SDKs (`openai`, which Together goes through too, and `anthropic`) are generated alike: a
timeout, a connection and a status error class. Errors raised while a stream is being read are
their HTTP library's own (httpx2), so those are translated too. SDK clients are built with
`max_retries=0`: the gateway retries itself, so each attempt is accounted and backoff is
configured in one place.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Protocol

from ..contracts import Completion, ProviderRequest, TextStream
from ..errors import FailureKind, ProviderError, kind_for_status


class Provider(Protocol):
    name: str
    model: str

    def complete(self, request: ProviderRequest) -> Completion: ...

    def open_stream(self, request: ProviderRequest) -> TextStream:
        """Send the request now (errors before the first byte raise here) and return the
        generator of text pieces, whose return value is the completion."""
        ...


@dataclass(frozen=True)
class SDKErrors:
    base: type[Exception]
    timeout: type[Exception]
    connection: type[Exception]
    status: type[Exception]
    transport_timeout: type[Exception]
    transport: type[Exception]


def translate(error: Exception, errors: SDKErrors) -> ProviderError:
    if isinstance(error, (errors.timeout, errors.transport_timeout)):
        return ProviderError(FailureKind.TIMEOUT, "timed out")
    if isinstance(error, (errors.connection, errors.transport)):
        return ProviderError(FailureKind.UNAVAILABLE, f"connection failed: {error}")
    status = getattr(error, "status_code", None)
    if isinstance(error, errors.status) and isinstance(status, int):
        return ProviderError(kind_for_status(status), f"HTTP {status}: {error}", status=status)
    # An error event inside a stream, or a body the SDK could not read.
    return ProviderError(FailureKind.UNAVAILABLE, f"{type(error).__name__}: {error}")


@contextmanager
def sdk_errors(errors: SDKErrors) -> Iterator[None]:
    try:
        yield
    except (errors.base, errors.transport) as error:
        raise translate(error, errors) from error
