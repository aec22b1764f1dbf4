"""The heartbeat writer: touches its file, at most once an interval from a busy loop."""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

from studymate_api.heartbeat import Heartbeat, process_heartbeat


def _age_file(path: Path) -> None:
    os.utime(path, (0, 0))


def test_beat_creates_the_file_then_waits_out_the_interval(tmp_path: Path) -> None:
    heartbeat = Heartbeat(tmp_path / "heartbeat", every=3600)
    heartbeat.beat()
    assert heartbeat.path.exists()
    _age_file(heartbeat.path)
    heartbeat.beat()  # within the interval: a loop turning fast costs no write
    assert heartbeat.path.stat().st_mtime == 0
    heartbeat.touch()  # a timer's call always writes
    assert heartbeat.path.stat().st_mtime > 0


def test_beat_touches_again_once_the_interval_passed(tmp_path: Path) -> None:
    heartbeat = Heartbeat(tmp_path / "heartbeat", every=0)
    heartbeat.beat()
    _age_file(heartbeat.path)
    heartbeat.beat()
    assert heartbeat.path.stat().st_mtime > 0


def test_a_failed_touch_does_not_stop_the_loop(tmp_path: Path) -> None:
    heartbeat = Heartbeat(tmp_path / "missing-directory" / "heartbeat", every=0)
    heartbeat.beat()
    heartbeat.touch()
    assert not heartbeat.path.exists()


def test_each_process_has_its_own_file_unless_one_is_named(settings: Any) -> None:
    settings.HEARTBEAT_FILE = ""
    settings.HEARTBEAT_INTERVAL_SECONDS = 7
    worker, beat = process_heartbeat("worker"), process_heartbeat("beat")
    assert worker.path == Path(tempfile.gettempdir()) / "studymate-worker.heartbeat"
    assert worker.path != beat.path
    assert worker.every == 7
    settings.HEARTBEAT_FILE = "/tmp/heartbeat"  # noqa: S108 (the pod's emptyDir)
    assert process_heartbeat("stream").path == Path("/tmp/heartbeat")  # noqa: S108
