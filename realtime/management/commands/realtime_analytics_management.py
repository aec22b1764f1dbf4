"""Operate the live learning analytics: run the analyzer on the stream, inspect it.

    manage.py realtime_analytics_management --start-streaming   # the `stream` process
    manage.py realtime_analytics_management --status
    manage.py realtime_analytics_management --active-sessions
    manage.py realtime_analytics_management --performance-report

`--start-streaming` runs until SIGTERM or SIGINT, then finishes its current batch (at most
STREAM_BLOCK_MS later when idle) and exits 0.
"""

from __future__ import annotations

import gc
import json
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from realtime.broadcast import LoopSender
from realtime.live_analysis import consumer_name, register_analyzer
from realtime.selectors.sessions import active_sessions_all, learning_session_live_state
from realtime.selectors.streaming import streaming_metrics, streaming_status
from realtime.streams import ACTIVITY_STREAM, ANALYZER_GROUP
from studymate_api.heartbeat import process_heartbeat
from studymate_api.streaming import get_stream_processor, install_stop_signals

ACTIONS = ("start_streaming", "status", "active_sessions", "performance_report")


class Command(BaseCommand):
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
            raise CommandError("choose one of --start-streaming, --status, ...")
        getattr(self, f"_{action}")()

    def _start_streaming(self) -> None:
        processor = get_stream_processor()
        sender = LoopSender()
        clock = register_analyzer(processor, sender)
        stop = threading.Event()
        install_stop_signals(stop)
        clock.start(processor, stop)
        name = consumer_name("stream")
        self.stdout.write(f"streaming {ACTIVITY_STREAM} as {ANALYZER_GROUP}/{name}", ending="\n")
        self.stdout.flush()
        gc.freeze()  # the loaded code and settings are permanent: keep them out of full GCs
        started = time.monotonic()
        heartbeat = process_heartbeat("stream")  # the pod's probes read its age
        totals = processor.run(
            ACTIVITY_STREAM, ANALYZER_GROUP, name, stop_event=stop, on_cycle=heartbeat.beat
        )
        sender.close()
        seconds = time.monotonic() - started
        self.stdout.write(
            f"stopped after {seconds:.1f} s: processed={totals.processed} "
            f"failed={totals.failed} dead_lettered={totals.dead_lettered}"
        )

    def _status(self) -> None:
        self.stdout.write(json.dumps(streaming_status(), indent=2, default=str))

    def _active_sessions(self) -> None:
        sessions = active_sessions_all()
        self.stdout.write(f"{len(sessions)} active learning session(s)")
        for session in sessions:
            state = learning_session_live_state(session)
            line = (
                f"{session.pk}  user={session.user_id}  subject={session.subject_id}  "
                f"started={session.started_at.isoformat(timespec='seconds')}"
            )
            if state is not None:
                metrics = state.metrics
                line += (
                    f"  focus={metrics.focus_score}  pace={metrics.pace}  "
                    f"efficiency={metrics.efficiency}  events={state.analysis.events}"
                )
            self.stdout.write(line)

    def _performance_report(self) -> None:
        figures = streaming_metrics()
        width = max(len(name) for name in figures)
        for name, value in figures.items():
            self.stdout.write(f"{name.ljust(width)}  {value}")
