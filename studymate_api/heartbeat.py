"""Heartbeat files: liveness of the processes that have no HTTP port (worker, beat, stream).

Each of them touches its file from inside the loop that does its work (the worker's event loop,
beat's tick, the stream's read loop), so the file goes stale when that loop stops or wedges.
The pod's probes compare the file's mtime with the clock in `sh` (`stat`, `date`): a probe
starts no Python, no Django and no Celery.

    heartbeat = process_heartbeat("stream")
    while running:
        ...
        heartbeat.beat()   # touches the file at most once per HEARTBEAT_INTERVAL_SECONDS

HEARTBEAT_FILE names the file (the manifests set it next to the probe that reads it); unset,
each kind of process has its own under /tmp, so processes sharing a machine never share a file.
"""

from __future__ import annotations

import os
import tempfile
import time
from pathlib import Path

import structlog
from django.conf import settings

logger = structlog.get_logger(__name__)


class Heartbeat:
    """Touches `path`, every `every` seconds.

    Only the mtime carries the signal: `os.utime` on an existing file is atomic, so a probe never
    reads a half-written heartbeat. A failed touch is logged, not raised: the work goes on and the
    probe, seeing the file age, restarts the process if it stays that way.
    """

    def __init__(self, path: Path, *, every: float) -> None:
        self.path = path
        self.every = every
        self._last = -float("inf")

    def beat(self) -> None:
        """For a loop that turns often: touches the file once `every` seconds have passed."""
        if time.monotonic() - self._last >= self.every:
            self.touch()

    def touch(self) -> None:
        """For a timer that already fires every `every` seconds."""
        try:
            self.path.touch()
        except OSError as error:
            logger.warning("heartbeat_not_written", path=str(self.path), error=str(error))
            return
        self._last = time.monotonic()


def process_heartbeat(kind: str) -> Heartbeat:
    """The heartbeat of this process, `kind` being worker, beat or stream."""
    path = settings.HEARTBEAT_FILE or os.path.join(
        tempfile.gettempdir(), f"studymate-{kind}.heartbeat"
    )
    return Heartbeat(Path(path), every=settings.HEARTBEAT_INTERVAL_SECONDS)
