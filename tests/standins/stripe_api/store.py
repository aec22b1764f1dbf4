"""The stand-in's state: stored objects by id, Stripe-like ids for new ones, the clock."""

from __future__ import annotations

import itertools
import threading
from typing import Any

API_VERSION = "2026-10-28.endive"
# The time the stand-in's objects are created at, unless a test says otherwise.
NOW = 1_760_000_000
MONTH = 30 * 24 * 3600


class ObjectStore:
    """Stored objects by id, and Stripe-like ids for new ones."""

    objects: dict[str, dict[str, Any]]
    _ids: itertools.count[int]
    _lock: threading.Lock

    def _new_id(self, prefix: str) -> str:
        return f"{prefix}_standin{next(self._ids):04d}"

    def _store(self, obj: dict[str, Any]) -> dict[str, Any]:
        self.objects[obj["id"]] = obj
        return obj
