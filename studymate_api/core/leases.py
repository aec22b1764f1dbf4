"""Generation leases: a claim its holder keeps alive while it works, taken over once it stops.

A row that one worker must generate (a summary, an AI quiz) is claimed with a conditional UPDATE
that sets a fresh random `claim_token` and `claimed_at = now`. While the holder works,
`renewing` moves `claimed_at` forward every HEARTBEAT from a thread of its own, so a claim whose
`claimed_at` is older than LEASE belongs to a holder that died (its worker killed, its machine
lost) and may be claimed again. The apps' requeue sweeps run every GENERATION_SWEEP_SECONDS
(settings, 15 s) and send such rows back to the queue at once: a task lost with its worker runs
again within HEARTBEAT + LEASE + the sweep's interval, under a minute. The outcome is written
only under the holder's token, so a holder that lost its lease cannot overwrite the one that
took over.

A thread, not renewals between the holder's own steps: a provider call is one blocking step
that may take minutes.
"""

from __future__ import annotations

import datetime
import threading
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import structlog
from django.db import DatabaseError, connections
from django.db.models import Model
from django.utils import timezone

logger = structlog.get_logger(__name__)

HEARTBEAT = datetime.timedelta(seconds=10)
# Three heartbeats: a holder alive but slowed (a database hiccup) keeps its claim.
LEASE = datetime.timedelta(seconds=30)


def new_claim_token() -> uuid.UUID:
    return uuid.uuid4()


@contextmanager
def renewing(
    model: type[Model], pk: Any, token: uuid.UUID, *, every: datetime.timedelta = HEARTBEAT
) -> Iterator[None]:
    """Keeps the claim `token` on row `pk` alive until the block ends. Renewing stops early
    once the row no longer holds the token (finished, released or taken over); a failed
    renewal is logged and tried again at the next beat."""
    stop = threading.Event()

    def beat() -> None:
        try:
            while not stop.wait(every.total_seconds()):
                try:
                    held = model._default_manager.filter(pk=pk, claim_token=token)
                    if not held.update(claimed_at=timezone.now()):
                        return
                except DatabaseError:
                    logger.warning("lease_renewal_failed", model=model.__name__, pk=pk)
        finally:
            # This thread's own connections (Django keeps one per thread).
            connections.close_all()

    thread = threading.Thread(target=beat, name=f"lease-{model.__name__}-{pk}", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        # A renewal stuck on a hung database must not hold the holder's outcome back.
        thread.join(timeout=every.total_seconds())
