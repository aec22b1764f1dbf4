"""Operate the live learning analytics: run the analyzer on the stream, inspect it.

    manage.py realtime_analytics_management --start-streaming   # the `stream` process
    manage.py realtime_analytics_management --status
    manage.py realtime_analytics_management --active-sessions
    manage.py realtime_analytics_management --performance-report

`--start-streaming` runs until SIGTERM or SIGINT, then finishes its current batch (at most
STREAM_BLOCK_MS later when idle), gives its partitions' leases back and exits 0. Run as many as
the load needs: they share the activity stream's STREAM_PARTITIONS partitions.

The reports read the activity stream and the live session state where the settings keep them.
On the embedded default (no REDIS_URL) both live in each process's memory: this command, a
process of its own, sees only its own empty stream and cache, never the server's, and says so
(on stderr, so `--status` stays JSON); the database figures (sessions) are the real ones. Ask
the running server instead: GET /api/study/realtime/streaming/status/ and .../metrics/ (staff).
`-v 0` prints nothing (the exit status alone tells whether the stream could be read).
"""

from __future__ import annotations

import gc
import json
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.dummy import DummyCache
from django.core.cache.backends.locmem import LocMemCache
from django.core.management.base import CommandError, CommandParser
from django.utils.translation import gettext as _

from realtime.broadcast import LoopSender
from realtime.live_analysis import analyzer_consumer
from realtime.selectors.sessions import active_sessions_all, learning_session_live_state
from realtime.selectors.streaming import streaming_metrics, streaming_status
from realtime.streams import ACTIVITY_STREAM, ANALYZER_GROUP
from studymate_api.core.commands import OperatorCommand
from studymate_api.heartbeat import process_heartbeat
from studymate_api.streaming import get_stream_processor, install_stop_signals

ACTIONS = ("start_streaming", "status", "active_sessions", "performance_report")
SERVER_STATUS = "/api/study/realtime/streaming/status/"
SERVER_METRICS = "/api/study/realtime/streaming/metrics/"


def stream_is_process_local() -> bool:
    """The activity stream lives in this process's memory (no REDIS_URL)."""
    return bool(get_stream_processor().backend.name == "memory")


def cache_is_process_local() -> bool:
    """The live session state (in the cache) lives in this process's memory."""
    return isinstance(caches["default"], LocMemCache | DummyCache)


class Command(OperatorCommand):
    help = "Run the live learning analyzer on the activity stream, or report on it."

    def add_arguments(self, parser: CommandParser) -> None:
        group = parser.add_mutually_exclusive_group(required=True)
        group.add_argument("--start-streaming", action="store_true", help="Run the analyzer.")
        group.add_argument("--status", action="store_true", help="The activity stream's state.")
        group.add_argument("--active-sessions", action="store_true", help="Live sessions.")
        group.add_argument("--performance-report", action="store_true", help="Throughput, lag.")

    def handle(self, *args: Any, **options: Any) -> None:
        action = next((name for name in ACTIONS if options.get(name)), None)
        if action is None:
            raise CommandError(
                _(
                    "choose one of --start-streaming, --status, --active-sessions, "
                    "--performance-report"
                )
            )
        getattr(self, f"_{action}")()

    def _start_streaming(self) -> None:
        processor = get_stream_processor()
        sender = LoopSender()
        consumer, clock = analyzer_consumer(processor, sender, "stream")
        stop = threading.Event()
        install_stop_signals(stop)
        clock.start(processor, stop)
        if stream_is_process_local():
            self.warn(
                _(
                    "Embedded default (no REDIS_URL): this process reads its own in-memory "
                    "stream, which nothing else writes to; the server analyzes activity "
                    "in its own process (REALTIME_ANALYZER_IN_PROCESS). Set REDIS_URL to run "
                    "a stream process."
                )
            )
        # Kept in English whatever the locale: the process supervisors wait for this line.
        self.say(
            f"streaming {ACTIVITY_STREAM} as {ANALYZER_GROUP}/{consumer.consumer} "
            f"({processor.config.partitions} partitions, shared with the other stream processes)"
        )
        self.stdout.flush()
        gc.freeze()  # the loaded code and settings are permanent: keep them out of full GCs
        started = time.monotonic()
        heartbeat = process_heartbeat("stream")  # the pod's probes read its age
        # Shares the partitions with the other `stream` processes; gives its leases back on
        # the way out, so the others take its partitions at their next beat.
        totals = consumer.run(stop_event=stop, on_cycle=heartbeat.beat)
        sender.close()
        seconds = time.monotonic() - started
        self.say(
            _(
                "stopped after %(seconds).1f s: processed=%(processed)d failed=%(failed)d "
                "dead_lettered=%(dead_lettered)d"
            )
            % {
                "seconds": seconds,
                "processed": totals.processed,
                "failed": totals.failed,
                "dead_lettered": totals.dead_lettered,
            }
        )

    def _status(self) -> None:
        status = streaming_status()
        if stream_is_process_local():
            self.warn(
                _(
                    "Embedded default (no REDIS_URL): the activity stream lives in each "
                    "process's memory, so this is this command's own empty stream, not the "
                    "server's. Ask the running server: GET %(url)s (staff)."
                )
                % {"url": SERVER_STATUS}
            )
        self.say(json.dumps(status, indent=2, default=str))

    def _active_sessions(self) -> None:
        sessions = active_sessions_all()
        local = cache_is_process_local()
        if local:
            self.warn(
                _(
                    "Embedded default (no REDIS_URL): the sessions come from the database, "
                    "but their live metrics live in the server process's memory, which this "
                    "command cannot see: they are left out."
                )
            )
        self.say(_("%(count)d active learning session(s)") % {"count": len(sessions)})
        for session in sessions:
            line = (
                f"{session.pk}  user={session.user_id}  subject={session.subject_id}  "
                f"started={session.started_at.isoformat(timespec='seconds')}"
            )
            state = None if local else learning_session_live_state(session)
            if state is not None:
                metrics = state.metrics
                line += (
                    f"  focus={metrics.focus_score}  pace={metrics.pace}  "
                    f"efficiency={metrics.efficiency}  events={state.analysis.events}"
                )
            self.say(line)

    def _performance_report(self) -> None:
        figures = streaming_metrics()
        if stream_is_process_local():
            self.warn(
                _(
                    "Embedded default (no REDIS_URL): the stream figures (events_per_second, "
                    "lag, pending, dead_letters, consumers) are this command's own empty "
                    "process, not the server's; the session figures come from the database. "
                    "Ask the running server: GET %(url)s (staff)."
                )
                % {"url": SERVER_METRICS}
            )
        width = max(len(name) for name in figures)
        for name, value in figures.items():
            self.say(f"{name.ljust(width)}  {value}")
