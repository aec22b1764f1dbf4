"""Reading server-sent events in tests."""

from __future__ import annotations

import json
from typing import Any


def parse_events(raw: bytes) -> list[tuple[str, Any]]:
    """`[(event, data), ...]` from an event-stream body whose data lines are JSON."""
    events = []
    for block in raw.decode().split("\n\n"):
        if not block.strip():
            continue
        fields = dict(line.split(": ", 1) for line in block.splitlines())
        events.append((fields["event"], json.loads(fields["data"])))
    return events
