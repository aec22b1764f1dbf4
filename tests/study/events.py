"""Reading server-sent events in tests."""

from __future__ import annotations

import json
from typing import Any


def parse_blocks(raw: bytes) -> list[dict[str, str]]:
    """Every block of an event-stream body as its fields (`id`, `event`, `data`, `retry`)."""
    blocks = []
    for block in raw.decode().split("\n\n"):
        if block.strip():
            blocks.append(dict(line.split(": ", 1) for line in block.splitlines()))
    return blocks


def parse_events(raw: bytes) -> list[tuple[str, Any]]:
    """`[(event, data), ...]` from an event-stream body whose data lines are JSON; blocks that
    dispatch no event (a `retry:` hint) are left out."""
    return [
        (fields["event"], json.loads(fields["data"]))
        for fields in parse_blocks(raw)
        if "event" in fields
    ]
