"""End to end with a real Celery worker on the Redis broker: a learner in New York with email
and push enabled and a quiet window gets the goal reminder after the window ends, by SMTP and by
FCM, exactly once although the worker is killed in the middle of the SMTP exchange and the
delivery is re-run by the sweep after its claim lease runs out."""

from __future__ import annotations

import asyncio
import datetime
import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
import pytest
from aiosmtpd.controller import Controller
from celery import current_app

from tests.e2e.conftest import e2e_database_url  # noqa: F401 - the fixture
from tests.e2e.harness import PROJECT_DIR, WORKER_READY_MARKER, run_manage, server_env
from tests.mailserver import _free_port
from tests.standins.fcm_api import FCMStandin

pytestmark = pytest.mark.e2e


@pytest.fixture(autouse=True)
def _celery_in_process() -> None:
    """Overrides the folder's eager Celery: here every task goes through the broker."""


LEASE_SECONDS = 30
SETUP = """
import datetime, json
from zoneinfo import ZoneInfo
from django.utils import timezone
from accounts.models import User
from notifications.services import device_register, preference_update
from study.services.settings import study_settings_update
user = User.objects.create_user("night-owl@example.com", "Blue-Lantern-77")
user.profile.timezone = "America/New_York"
user.profile.preferred_language = "en"
user.profile.save()
now = timezone.now()
local = now.astimezone(ZoneInfo("America/New_York"))
quiet_end = (local + datetime.timedelta(seconds=QUIET)).replace(microsecond=0)
def clock(delta):
    return (local + delta).time().replace(microsecond=0)
study_settings_update(user=user, data={"reminder_time": clock(datetime.timedelta(minutes=-1))})
start = clock(datetime.timedelta(hours=-2))
preference_update(user=user, data={"quiet_hours_start": start, "quiet_hours_end": quiet_end.time()})
device_register(user=user, token="owl-phone", platform="ios")
print(json.dumps({"quiet_end": quiet_end.isoformat(), "user_id": user.pk}))
"""


class StallingMailbox:
    """Accepts mail, except that the first DATA is held until the test lets it go (the worker
    is killed meanwhile) and then refused, as a connection that died mid-send would be."""

    def __init__(self) -> None:
        self.accepted: list[tuple[float, bytes]] = []
        self.first_data_at: float | None = None
        self.stalled = threading.Event()
        self.release = threading.Event()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        if self.first_data_at is None:
            self.first_data_at = time.time()
            self.stalled.set()
            while not self.release.is_set():
                await asyncio.sleep(0.05)
            return "451 4.4.2 Connection dropped"
        self.accepted.append((time.time(), envelope.content))
        return "250 OK"


@contextmanager
def worker(env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    """A real worker in its own process group, so the test can SIGKILL exactly it."""
    command = [sys.executable, "-m", "celery", "-A", "studymate_api", "worker", "--pool", "solo"]
    options = [
        "--without-gossip",
        "--without-mingle",
        "-l",
        "INFO",
        "--hostname",
        f"n1-{log.stem}@%h",
    ]
    with log.open("ab") as out:
        process = subprocess.Popen(
            [*command, *options],
            cwd=PROJECT_DIR,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    try:
        _wait(lambda: WORKER_READY_MARKER in log.read_bytes(), 30, f"worker ready ({log})")
        yield process
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            process.wait(timeout=15)


def _wait(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.1)
    pytest.fail(f"timed out waiting for {what}")


def _deliveries(url: str) -> dict[str, tuple[str, int]]:
    with psycopg.connect(url) as connection:
        rows = connection.execute(
            "SELECT channel, status, attempts FROM notifications_deliveryattempt"
        ).fetchall()
    return {channel: (status, attempts) for channel, status, attempts in rows}


def test_goal_reminder_after_quiet_hours_once_despite_a_killed_worker(
    e2e_database_url: str,  # noqa: F811
) -> None:
    if not os.environ.get("REDIS_URL", "").strip():
        pytest.skip("a real worker needs the Redis broker (REDIS_URL)")
    mailbox = StallingMailbox()
    smtp = Controller(mailbox, hostname="127.0.0.1", port=_free_port())
    smtp.start()
    try:
        with FCMStandin() as fcm, tempfile.TemporaryDirectory() as tmp:
            fcm.default = fcm.sent()
            env = server_env(
                DATABASE_URL=e2e_database_url,
                EMAIL_URL=f"smtp://127.0.0.1:{smtp.port}",
                FCM_SERVICE_ACCOUNT_JSON=json.dumps(fcm.service_account()),
                FCM_API_BASE=fcm.origin,
                NOTIFICATIONS_CLAIM_LEASE=str(LEASE_SECONDS),
            )
            setup = run_manage("shell", "-c", SETUP.replace("QUIET", "45"), env=env)
            assert setup.returncode == 0, setup.stderr
            quiet_end = json.loads(setup.stdout.strip().splitlines()[-1])["quiet_end"]
            quiet_end_ts = datetime.datetime.fromisoformat(quiet_end).timestamp()
            _run(env, Path(tmp), mailbox, fcm, e2e_database_url, quiet_end_ts)
    finally:
        mailbox.release.set()
        smtp.stop()


def _run(
    env: dict[str, str],
    tmp: Path,
    mailbox: StallingMailbox,
    fcm: FCMStandin,
    database_url: str,
    quiet_end: float,
) -> None:
    with worker(env, tmp / "first.log") as first:
        current_app.send_task("notifications.send_goal_reminders")
        _wait(lambda: mailbox.stalled.is_set(), 90, "the first SMTP DATA")
        # Mid-send: the SMTP server holds the reply; the worker dies without settling.
        os.killpg(first.pid, signal.SIGKILL)
        first.wait(timeout=10)
    killed_at = time.time()
    mailbox.release.set()
    assert mailbox.first_data_at is not None
    assert mailbox.first_data_at >= quiet_end  # not inside the quiet window
    assert _deliveries(database_url)["email"] == ("sending", 1)
    assert _deliveries(database_url)["in_app"][0] == "sent"

    with worker(env, tmp / "second.log"):
        # Before the lease ends the sweep must leave the email alone.
        current_app.send_task("notifications.deliver_due")
        time.sleep(3)
        assert mailbox.accepted == []
        time.sleep(max(0.0, killed_at + LEASE_SECONDS + 1 - time.time()))
        # As beat would: the sweep every few seconds until both are out (the push task died
        # with the first worker's reserved messages; the sweep finds it once a minute overdue).
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and not (mailbox.accepted and fcm.messages):
            current_app.send_task("notifications.deliver_due")
            time.sleep(5)
        current_app.send_task("notifications.deliver_due")
        time.sleep(3)

    assert len(mailbox.accepted) == 1
    assert b"Subject: Time to study" in mailbox.accepted[0][1]
    assert len(fcm.messages) == 1
    assert fcm.messages[0].json["message"]["token"] == "owl-phone"
    deliveries = _deliveries(database_url)
    assert deliveries["email"] == ("sent", 2)
    assert deliveries["push"][0] == "sent"
