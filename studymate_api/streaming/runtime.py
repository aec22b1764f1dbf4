"""The process-wide processor and stopping it on a signal (for the `stream` process)."""

from __future__ import annotations

import signal
import threading

import structlog

from .processor import StreamProcessor

logger = structlog.get_logger(__name__)

_default: StreamProcessor | None = None
_default_lock = threading.Lock()


def get_stream_processor() -> StreamProcessor:
    """The processor built from settings; apps register their handlers on it. With the
    in-process backend, publishers and consumers must share this one instance."""
    global _default
    with _default_lock:
        if _default is None:
            _default = StreamProcessor()
        return _default


def install_stop_signals(stop_event: threading.Event) -> None:
    """Set `stop_event` on SIGTERM and SIGINT, so `run` ends after its current batch.
    Call from the main thread."""

    def request_stop(signum: int, frame: object) -> None:
        logger.info("stream_stop_requested", signal=signal.Signals(signum).name)
        stop_event.set()

    signal.signal(signal.SIGTERM, request_stop)
    signal.signal(signal.SIGINT, request_stop)
