"""How events become stream entries and back: names, JSON encoding, dead letters."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from .records import DeadLetter, Delivery, StreamMessage

# Braces: a partition's name carries a Redis Cluster hash tag (see partitions).
_NAME_CHARS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_.:-{}")
# Keys kept beside a stream (see redis_streams); a stream must not be named like one of them.
_RESERVED_SUFFIXES = (":dead", ":dead-counts")


def check_name(kind: str, name: str) -> None:
    if not name or len(name) > 200 or not set(name) <= _NAME_CHARS:
        raise ValueError(f"{kind} name {name!r}: use 1-200 letters, digits and _.:-{{}}")


def check_stream(stream: str) -> None:
    check_name("stream", stream)
    if stream.endswith(_RESERVED_SUFFIXES) or ":processed:" in stream:
        raise ValueError(f"stream name {stream!r} collides with the keys kept beside a stream")


def encode_event(event: Mapping[str, Any]) -> str:
    if not isinstance(event, Mapping):
        raise TypeError(f"an event is a mapping, got {type(event).__name__}")
    return json.dumps(event, cls=DjangoJSONEncoder, separators=(",", ":"))


def decode_delivery(delivery: Delivery) -> StreamMessage | None:
    """The message, or None when the entry holds no JSON object (written by someone else)."""
    try:
        payload = json.loads(delivery.data) if delivery.data is not None else None
    except ValueError:
        return None
    if not isinstance(payload, dict):
        return None
    return StreamMessage(delivery.id, payload, delivery.deliveries)


def overdelivered(delivery: Delivery, max_deliveries: int) -> str | None:
    """Why the message must not be handled again, if it has been handed out too often."""
    if delivery.deliveries > max_deliveries:
        return (
            f"handed out {delivery.deliveries} times without being acknowledged "
            "(its consumers stopped while handling it)"
        )
    return None


def dead_letter_for(
    message: Delivery | StreamMessage, *, group: str, consumer: str, error: str
) -> DeadLetter:
    data = message.data if isinstance(message, Delivery) else encode_event(message.payload)
    return DeadLetter(
        message_id=message.id,
        group=group,
        consumer=consumer,
        deliveries=message.deliveries,
        error=error,
        data=data,
        dead_at=timezone.now().isoformat(),
    )
