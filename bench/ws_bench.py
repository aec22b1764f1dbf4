"""WebSocket benchmarks against real daphne processes on Redis and PostgreSQL.

    .venv/bin/python bench/ws_bench.py learners [--learners 200] [--rate 5] [--seconds 20]
    .venv/bin/python bench/ws_bench.py rooms ...
    .venv/bin/python bench/ws_bench.py scaling [--processes 1,2] [--events 60000] ...

Needs DATABASE_URL (a PostgreSQL server: the bench creates, migrates and drops its own database
`studymate_bench_<random>` there) and REDIS_URL (channel layer, cache, streams; the bench uses
a key prefix of its own for the streams).

(a) `learners`: N learners, each with a live learning session and one socket on
`/ws/learning/analytics/`, each sending `--rate` activity events a second for `--seconds`,
against one daphne and the `stream` process (`realtime_analytics_management
--start-streaming`). Every event carries a `ref` (its sequence number); the analyzer echoes the
newest ref it folded into each `metrics` event, so an event counts as answered when a metrics
event with a ref >= its own arrives (events folded in one batch share one metrics event).
Prints events/s sent and processed, and p50/p95/p99/max from an event sent to its metrics
received, and how many events were never answered. Target on the 2-core machine: >= 1,000
events/s with p99 < 100 ms.

Measured on the 2-core machine (200 learners x 5/s, 20 s, with other test suites running beside
it, load average 2-6): 1,000 events/s processed in every run, 0 unanswered; p50 6-12 ms; p99
35 ms and 66 ms in the quieter runs, 310-920 ms while other processes kept both cores busy (the
"analyzer -> client" line then shows where the time went: waiting for a core, not the pipeline).
The stream process used ~30% of a core and daphne ~50%.

`learners --baseline TREE` runs the same load twice in one go, first on the servers of TREE (a
git worktree of an earlier commit, used as it is, sharing this virtualenv), then on this tree's,
each on a fresh database migrated by its own tree, and ends with the CPU each spent per
processed event (daphne, the stream process, both): the cost of one activity event from the
learner's frame to their metrics, before and after. `--rate 1 --learners 20` is the load of
`bench/mixed_bench.py` (an event a second per learner: batches of one event). Against 6ec4ff3
(CPU ms per event, daphne + stream): 20 learners x 1/s, two runs: 1.14 + 0.99 = 2.13 -> 0.99 +
0.66 = 1.65 and 1.03 + 0.90 = 1.93 -> 0.91 + 0.62 = 1.52; 200 learners x 5/s: 0.44 + 0.29 =
0.73 -> 0.34 + 0.20 = 0.54, every event answered in every run.

(b) `rooms`: room fan-out across two server processes (see `bench_rooms`).

(c) `scaling`: one `stream` process against two, side by side in one run (see `bench_scaling`):
events/s at saturation (a backlog published straight into the partitions and drained: read,
folded into the stored state, metrics sent on the channel layer, acknowledged) and p50/p99
from an event sent over a socket to its metrics at a fixed load (`learners`' measurement).
Measured on the 2-core machine, quiet but for the bench (load 1.0-1.8; `--events 200000`),
two runs: saturation 33,681 -> 54,239 and 36,262 -> 60,572 events/s (1.61x and 1.67x; each
process ~40,000 events per CPU second alone or beside the other, the cores 82-85% busy with
two, Redis at 22%); fixed load p99 29.4 -> 37.6 and 33.6 -> 29.7 ms, every event answered. With
another test suite taking a core, 37,622 vs 31,866: the second process only shares the starved
core. What could flatter it: every session's state is warm in Redis; the backlog's batches hold
~8 events per session, fewer round trips per event than learners sending one event a second.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import random
import secrets
import statistics
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

# The end-to-end tests' process harness: daphne on a socket handed over with --fd, the stream
# process, each with an environment built from scratch.
from tests.e2e import harness  # noqa: E402
from tests.e2e.harness import (  # noqa: E402
    base_env,
    run_manage,
    running_server,
    running_stream_processes,
)

# Hundreds of learners connect at once: let the kernel queue them all.
LISTEN_BACKLOG = 1024


# --- the stack: a fresh database, daphne processes, the stream process -------------------------


def _with_database(url: str, name: str) -> str:
    return urlunsplit(urlsplit(url)._replace(path=f"/{name}"))


def server_env(database_url: str, redis_url: str, stream_prefix: str) -> dict[str, str]:
    """The environment of every process of the stack: nothing from the shell but PATH."""
    return base_env(
        DATABASE_URL=database_url,
        REDIS_URL=redis_url,
        STREAM_KEY_PREFIX=stream_prefix,
        STREAM_BLOCK_MS="1000",
        LOG_LEVEL="WARNING",
        THROTTLE_ANON_RATE="100000/min",
        THROTTLE_USER_RATE="100000/min",
        THROTTLE_LOGIN_RATE="100000/min",
        THROTTLE_REGISTER_RATE="100000/min",
        # Each learner sends 5 events a second; leave the flood limit well above that.
        REALTIME_WS_RATE_PER_SECOND="50",
        REALTIME_WS_BURST="100",
    )


@contextlib.contextmanager
def fresh_database() -> Iterator[str]:
    """A new PostgreSQL database on DATABASE_URL's server, dropped at the end."""
    import psycopg
    from psycopg import sql

    suite_url = os.environ.get("DATABASE_URL", "").strip()
    if not suite_url.startswith("postgres"):
        raise SystemExit("set DATABASE_URL to a PostgreSQL server (the bench makes its own db)")
    name = f"studymate_bench_{secrets.token_hex(5)}"
    maintenance = _with_database(suite_url, "postgres")
    with psycopg.connect(maintenance, autocommit=True) as connection:
        connection.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
    try:
        yield _with_database(suite_url, name)
    finally:
        with psycopg.connect(maintenance, autocommit=True) as connection:
            drop = "DROP DATABASE IF EXISTS {} WITH (FORCE)"
            connection.execute(sql.SQL(drop).format(sql.Identifier(name)))


@contextlib.contextmanager
def daphne_servers(env: dict[str, str], count: int) -> Iterator[list[str]]:
    """`count` daphne processes; yields their base URLs."""
    with contextlib.ExitStack() as stack:
        yield [
            stack.enter_context(running_server(env, backlog=LISTEN_BACKLOG)) for _ in range(count)
        ]


@dataclass
class Stack:
    env: dict[str, str]
    urls: list[str]


@contextlib.contextmanager
def deleting_streams(redis_url: str, prefix: str) -> Iterator[None]:
    """The streams of the run live under their own key prefix; drop them at the end."""
    import redis

    try:
        yield
    finally:
        client = redis.Redis.from_url(redis_url)
        keys = list(client.scan_iter(match=f"{prefix}*", count=1000))
        if keys:
            client.delete(*keys)
        client.close()


@contextlib.contextmanager
def serving_tree(tree: Path) -> Iterator[None]:
    """The harness runs manage.py and daphne from `tree` (its code first on their sys.path)."""
    saved = harness.PROJECT_DIR, harness.MANAGE_PY
    harness.PROJECT_DIR, harness.MANAGE_PY = tree, tree / "manage.py"
    try:
        yield
    finally:
        harness.PROJECT_DIR, harness.MANAGE_PY = saved


def _use_database(database_url: str) -> None:
    """Django in this process is set up once; a later stack's database replaces the first."""
    import django

    os.environ["DATABASE_URL"] = database_url
    django.setup()
    from django.db import connections

    connection = connections["default"]
    connection.close()
    if hasattr(connection, "close_pool"):
        connection.close_pool()
    connection.settings_dict["NAME"] = urlsplit(database_url).path.lstrip("/")


@contextlib.contextmanager
def bench_stack(*, servers: int, streams: int, tree: Path = PROJECT_DIR) -> Iterator[Stack]:
    """A fresh database migrated by `tree`, `servers` daphne processes of `tree` and `streams`
    stream processes, all on REDIS_URL. Django in this process is set up against the same
    database."""
    redis_url = os.environ.get("REDIS_URL", "").strip()
    if not redis_url:
        raise SystemExit("set REDIS_URL (channel layer, cache and streams)")
    prefix = f"studymate-bench-{secrets.token_hex(4)}:"
    with (
        serving_tree(tree),
        fresh_database() as database_url,
        deleting_streams(redis_url, prefix),
    ):
        env = server_env(database_url, redis_url, prefix)
        migrate = run_manage("migrate", "--noinput", env=env)
        if migrate.returncode != 0:
            raise SystemExit(f"migrate failed:\n{migrate.stdout}\n{migrate.stderr}")
        os.environ.update(env)
        _use_database(database_url)
        with contextlib.ExitStack() as stack:
            urls = stack.enter_context(daphne_servers(env, servers))
            if streams:
                stack.enter_context(running_stream_processes(env, streams))
                wait_for_partitions(env, streams)
            yield Stack(env=env, urls=urls)


def create_learners(count: int) -> list[tuple[int, str]]:
    """`count` users made in one insert (one password hash for all: logins are not measured);
    returns (user id, access token)."""
    from django.contrib.auth.hashers import make_password
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User

    prefix = secrets.token_hex(3)
    password = make_password("Bench-Lantern-77")  # one hash shared by every user
    users = User.objects.bulk_create(
        User(email=f"bench-{prefix}-{i}@example.com", username=f"b{prefix}{i}", password=password)
        for i in range(count)
    )
    return [(user.pk, str(AccessToken.for_user(user))) for user in users]


def ws_url(base_url: str, path: str, token: str) -> str:
    return f"{base_url.replace('http://', 'ws://')}{path}?token={token}"


def origin_of(base_url: str) -> str:
    """The Origin header a browser on the server's own page would send (the origin check)."""
    return base_url


def cpu_seconds() -> dict[str, float]:
    """CPU time used so far by this process and by each server it started, by role."""
    import psutil

    def role(process: psutil.Process) -> str:
        command = " ".join(process.cmdline())
        if "daphne" in command:
            return f"daphne-{process.pid}"
        return f"stream-{process.pid}" if "--start-streaming" in command else f"child-{process.pid}"

    me = psutil.Process()
    used = {"bench client": sum(me.cpu_times()[:2])}
    for child in me.children():
        with contextlib.suppress(psutil.Error):
            used[role(child)] = sum(child.cpu_times()[:2])
    return used


def cpu_by_role(before: dict[str, float], after: dict[str, float]) -> dict[str, float]:
    """CPU seconds used between the two readings by daphne (all of them) and the stream."""
    used: dict[str, float] = {}
    for name, seconds in after.items():
        role = name.split("-", 1)[0]
        if role in ("daphne", "stream"):
            used[role] = used.get(role, 0.0) + seconds - before.get(name, 0.0)
    return used


def cpu_report(before: dict[str, float], after: dict[str, float], seconds: float) -> str:
    shares = (
        f"{name} {100 * (after[name] - before.get(name, 0.0)) / seconds:.0f}%" for name in after
    )
    return ", ".join(shares)


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))] if ordered else 0.0


# --- (a) learners: activity events -> metrics ---------------------------------------------------


@dataclass
class LearnerRun:
    sent: dict[int, float] = field(default_factory=dict)  # ref -> perf_counter at send
    measured_from: int = 1  # refs before this one were sent during the warm-up
    answered: int = 0  # refs up to this one have their metrics
    latencies: list[float] = field(default_factory=list)
    metrics_received: int = 0
    back_ms: list[float] = field(default_factory=list)
    delivery_ms: list[float] = field(default_factory=list)  # analyzer -> client
    errors: list[str] = field(default_factory=list)


def start_sessions(base_url: str, learners: list[tuple[int, str]]) -> list[str]:
    import httpx

    from study.models import Subject

    subjects = Subject.objects.bulk_create(
        Subject(name=f"Bench subject {user_id}", created_by_id=user_id) for user_id, _ in learners
    )
    session_ids = []
    with httpx.Client(base_url=base_url, timeout=30) as client:
        for (_user_id, token), subject in zip(learners, subjects, strict=True):
            response = client.post(
                "/api/study/realtime/learning/start_session/",
                json={"subject_id": subject.pk},
                headers={"Authorization": f"Bearer {token}"},
            )
            if response.status_code != 201:
                raise SystemExit(f"start_session: {response.status_code} {response.text}")
            session_ids.append(response.json()["session_id"])
    return session_ids


async def _receive(connection: Any, run: LearnerRun) -> None:
    async for raw in connection:
        event = json.loads(raw)
        if event["type"] == "error":
            run.errors.append(event["code"])
        if event["type"] != "metrics" or not isinstance(event.get("ref"), int):
            continue
        now = time.perf_counter()
        run.metrics_received += 1
        # `at` is when the server received the newest event: splits the time into the way in
        # (client -> web process) and the way back (stream, analyzer, channel layer, client).
        wall = time.time()
        if event["ref"] >= run.measured_from:  # not during the warm-up
            run.back_ms.append((wall - float(event["at"])) * 1000)
            run.delivery_ms.append((wall - float(event["analyzed_at"])) * 1000)
        for ref in range(max(run.answered + 1, run.measured_from), event["ref"] + 1):
            sent = run.sent.get(ref)
            if sent is not None:
                run.latencies.append(now - sent)
        run.answered = max(run.answered, event["ref"])


async def _learner(
    url: str, session_id: str, options: argparse.Namespace, run: LearnerRun, origin: str
) -> None:
    import websockets

    kinds = ["answer", "answer", "scroll", "note", "focus"]
    async with websockets.connect(url, origin=origin, max_queue=None) as connection:  # type: ignore[arg-type]
        receiver = asyncio.create_task(_receive(connection, run))
        rate, seconds = options.rate, options.warmup + options.seconds
        # Spread the learners over a tick (not a secret: S311 does not apply).
        await asyncio.sleep(random.uniform(0, 1 / rate))  # noqa: S311
        interval, ref = 1 / rate, 0
        started = time.perf_counter()
        next_at = started
        while time.perf_counter() - started < seconds:
            ref += 1
            if time.perf_counter() - started < options.warmup:
                run.measured_from = ref + 1
            kind = kinds[ref % len(kinds)]
            message = {"type": "activity", "session_id": session_id, "event": kind, "ref": ref}
            if kind == "answer":
                message["data"] = {"correct": ref % 3 != 0}
            run.sent[ref] = time.perf_counter()
            await connection.send(json.dumps(message))
            next_at += interval
            await asyncio.sleep(max(0.0, next_at - time.perf_counter()))
        await asyncio.sleep(2.0)  # let the last metrics arrive
        receiver.cancel()


async def _run_learners(
    base_url: str, learners: list[tuple[int, str]], sessions: list[str], options: argparse.Namespace
) -> list[LearnerRun]:
    runs = [LearnerRun() for _ in learners]
    path = "/ws/learning/analytics/"
    await asyncio.gather(
        *(
            _learner(ws_url(base_url, path, token), session, options, run, origin_of(base_url))
            for (_uid, token), session, run in zip(learners, sessions, runs, strict=True)
        )
    )
    return runs


def bench_learners(args: argparse.Namespace) -> None:
    trees = [("this tree", PROJECT_DIR)]
    if args.baseline is not None:
        trees.insert(0, (f"baseline {args.baseline}", args.baseline.resolve()))
    per_event: list[tuple[str, dict[str, float], int]] = []
    for label, tree in trees:
        if len(trees) > 1:
            print(f"--- {label}")
        result = _bench_learners_on(tree, args)
        per_event.append((label, result.cpu, result.sent_in_run))
    print("cpu per processed event (ms):")
    for label, cpu, processed in per_event:
        shares = {role: 1000 * seconds / max(processed, 1) for role, seconds in cpu.items()}
        print(
            f"  {label:<40} daphne {shares.get('daphne', 0.0):.2f}  "
            f"stream {shares.get('stream', 0.0):.2f}  total {sum(shares.values()):.2f}  "
            f"({processed} events)"
        )


@dataclass(frozen=True)
class LearnersResult:
    cpu: dict[str, float]  # CPU seconds by role (daphne, stream) over the whole run
    sent_in_run: int  # events sent in the run (warm-up and drain too); 0 if none was answered
    processed_per_second: float
    unanswered: int
    p50_ms: float
    p99_ms: float


def _bench_learners_on(tree: Path, args: argparse.Namespace, streams: int = 1) -> LearnersResult:
    """One run of the learners' load on `tree`'s servers (one daphne, `streams` stream
    processes): the servers' CPU by role and the figures of the measured window."""
    with bench_stack(servers=1, streams=streams, tree=tree) as stack:
        learners = create_learners(args.learners)
        sessions = start_sessions(stack.urls[0], learners)
        print(
            f"{args.learners} learners x {args.rate} events/s for {args.seconds} s "
            f"(after a {args.warmup} s warm-up)"
        )
        before, started = cpu_seconds(), time.perf_counter()
        runs = asyncio.run(_run_learners(stack.urls[0], learners, sessions, args))
        after = cpu_seconds()
        cpu = cpu_report(before, after, time.perf_counter() - started)
    processed, rate, latencies_ms = report_learners(runs)
    print(f"cpu (% of one core)  {cpu}")
    stages = {
        "server receipt -> metrics": [value for run in runs for value in run.back_ms],
        "analyzer -> client": [value for run in runs for value in run.delivery_ms],
    }
    for stage, values in stages.items():
        if values:
            print(
                f"{stage} ms  p50 {statistics.median(values):.1f}  "
                f"p99 {percentile(values, 0.99):.1f}"
            )
    # The servers' CPU over the whole run (warm-up and drain too) per event sent in it.
    sent_in_run = sum(len(run.sent) for run in runs)
    window = sum(1 for run in runs for ref in run.sent if ref >= run.measured_from)
    return LearnersResult(
        cpu=cpu_by_role(before, after),
        sent_in_run=sent_in_run if processed else 0,
        processed_per_second=rate,
        unanswered=window - processed,
        p50_ms=statistics.median(latencies_ms) if latencies_ms else 0.0,
        p99_ms=percentile(latencies_ms, 0.99),
    )


def report_learners(runs: list[LearnerRun]) -> tuple[int, float, list[float]]:
    """Figures over the measured window (after the warm-up) of every learner; returns how
    many of its events were processed, at what rate, and each one's latency (ms)."""
    window = [
        sent_at for run in runs for ref, sent_at in run.sent.items() if ref >= run.measured_from
    ]
    elapsed = max(window) - min(window) if len(window) > 1 else 1.0
    sent = len(window)
    answered = sum(max(0, min(run.answered, len(run.sent)) - run.measured_from + 1) for run in runs)
    latencies_ms = [value * 1000 for run in runs for value in run.latencies]
    errors = [code for run in runs for code in run.errors]
    print(f"events sent          {sent} ({sent / elapsed:.0f}/s)")
    print(f"events processed     {answered} ({answered / elapsed:.0f}/s)")
    print(f"metrics received     {sum(run.metrics_received for run in runs)}")
    print(f"unanswered events    {sent - answered}")
    print(f"errors               {len(errors)} {sorted(set(errors))}")
    if latencies_ms:
        print(
            "event -> metrics ms  "
            f"p50 {statistics.median(latencies_ms):.1f}  "
            f"p95 {percentile(latencies_ms, 0.95):.1f}  "
            f"p99 {percentile(latencies_ms, 0.99):.1f}  "
            f"max {max(latencies_ms):.1f}"
        )
    return answered, answered / elapsed, latencies_ms


# --- (b) rooms: fan-out across two server processes ---------------------------------------------


def bench_rooms(args: argparse.Namespace) -> None:
    """Room fan-out across two server processes on Redis, for each channel layer.

    One study room per scenario, its members' sockets split between two daphne processes on the
    same Redis and PostgreSQL. A few members (ROOM_SENDERS) chat at a fixed total rate; every
    member, the senders too, receives every message, so deliveries/s = messages/s x members.
    Latency: from just before a client sends a message to when a member's socket hands it to
    this process (one clock: every client lives here). Lost: deliveries not received within
    ROOM_DRAIN_SECONDS after the last send. Scenarios: 100 members at 2,000 deliveries/s and
    1,000 members at 5,000 deliveries/s, each for `--seconds`; layers from `--layers`
    (CHANNEL_LAYER=pubsub and list). Targets: p99 <= 50 ms and <= 300 ms, 0 lost.
    """
    options = _room_options()
    with bench_stack(servers=0, streams=0) as stack:
        most = max(members for members, _rate in ROOM_SCENARIOS)
        learners = create_learners(most)
        results: list[RoomFanoutResult] = []
        for layer in options.layers:
            env = {**stack.env, **ROOM_SERVER_ENV, "CHANNEL_LAYER": layer}
            with daphne_servers(env, 2) as urls:
                for members, rate in ROOM_SCENARIOS:
                    room_id = _room_seed(learners[:members])
                    tokens = [token for _user_id, token in learners[:members]]
                    result = asyncio.run(
                        _room_fanout(layer, urls, room_id, tokens, rate, options.seconds)
                    )
                    print(result.line(), flush=True)
                    results.append(result)
    _room_summary(results)


ROOM_SCENARIOS: tuple[tuple[int, int], ...] = ((100, 2_000), (1_000, 5_000))
ROOM_TARGET_P99_MS = {100: 50.0, 1_000: 300.0}
ROOM_SENDERS = 10
ROOM_DRAIN_SECONDS = 5.0
ROOM_SETTLE_SECONDS = 1.0
ROOM_WARMUP_SECONDS = 3.0
ROOM_SETTLE_LIMIT_SECONDS = 300.0
ROOM_CONNECT_CONCURRENCY = 20
ROOM_CONNECT_ATTEMPTS = 5
# The senders chat far faster than a person may; leave the chat and flood limits above that.
ROOM_SERVER_ENV = {
    "REALTIME_ROOM_CHAT_RATE": "1000000/min",
    "REALTIME_WS_RATE_PER_SECOND": "1000",
    "REALTIME_WS_BURST": "1000",
}


def _room_options() -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="ws_bench.py rooms")
    parser.add_argument("--layers", default="pubsub,list", help="CHANNEL_LAYER values to run")
    parser.add_argument("--seconds", type=float, default=10.0, help="sending time per scenario")
    options, _rest = parser.parse_known_args(sys.argv[2:])
    options.layers = [layer.strip() for layer in options.layers.split(",") if layer.strip()]
    return options


@dataclass(frozen=True)
class RoomFanoutResult:
    layer: str
    members: int
    target_per_second: int
    achieved_per_second: float
    messages_sent: int
    expected: int
    received: int
    p50_ms: float
    p99_ms: float
    max_ms: float

    @property
    def lost(self) -> int:
        return self.expected - self.received

    @property
    def target_p99_ms(self) -> float:
        return ROOM_TARGET_P99_MS.get(self.members, 0.0)

    @property
    def passed(self) -> bool:
        return self.lost == 0 and self.p99_ms <= self.target_p99_ms

    def line(self) -> str:
        return (
            f"{self.layer:>6} {self.members:>5} members "
            f"{self.achieved_per_second:>6.0f}/{self.target_per_second} deliveries/s  "
            f"p50 {self.p50_ms:6.1f} ms  p99 {self.p99_ms:6.1f} ms  max {self.max_ms:6.1f} ms  "
            f"lost {self.lost}/{self.expected}  (p99 target {self.target_p99_ms:.0f} ms: "
            f"{'ok' if self.passed else 'MISSED'})"
        )


def _room_seed(learners: list[tuple[int, str]]) -> int:
    """A public room whose members are `learners` (the first one owns it)."""
    from realtime.models import RoomMembership, StudyRoom

    owner_id = learners[0][0]
    room = StudyRoom.objects.create(name="Fan-out", owner_id=owner_id, capacity=len(learners))
    RoomMembership.objects.bulk_create(
        RoomMembership(room=room, user_id=user_id) for user_id, _token in learners
    )
    return room.pk


@dataclass
class _RoomTally:
    sent_at: dict[int, float] = field(default_factory=dict)  # message number -> perf_counter
    latencies: list[float] = field(default_factory=list)
    received: int = 0
    expected: int = -1  # known once the last message is sent
    last_event_at: float = field(default_factory=time.perf_counter)  # any event, any member
    all_in: asyncio.Event = field(default_factory=asyncio.Event)

    def delivered(self, number: int) -> None:
        sent = self.sent_at.get(number)
        if sent is None:
            return
        self.latencies.append(time.perf_counter() - sent)
        self.received += 1
        if self.received == self.expected:
            self.all_in.set()


async def _room_fanout(
    layer: str, urls: list[str], room_id: int, tokens: list[str], rate: int, seconds: float
) -> RoomFanoutResult:
    members = len(tokens)
    tally = _RoomTally()
    sockets = await _room_connect(urls, room_id, tokens)
    readers = [asyncio.create_task(_room_read(connection, tally)) for connection in sockets]
    senders = sockets[:ROOM_SENDERS]
    await _room_quiet(tally)  # the join announcements of the last members are through
    per_second = rate / members
    # The first ROOM_WARMUP_SECONDS of traffic at the same rate are not measured: the servers
    # open database connections and publishers, and settle into the steady state.
    warmup = round(per_second * ROOM_WARMUP_SECONDS)
    total = max(1, round(per_second * seconds))
    started = time.perf_counter()
    for step in range(warmup + total):
        delay = started + step / per_second - time.perf_counter()
        if delay > 0:
            await asyncio.sleep(delay)
        number = step - warmup
        if number >= 0:
            tally.sent_at[number] = time.perf_counter()
        text = f"bench {number}" if number >= 0 else f"warm-up {step}"
        await senders[step % len(senders)].send(json.dumps({"type": "chat", "message": text}))
    started += warmup / per_second
    elapsed = time.perf_counter() - started
    tally.expected = total * members
    if tally.received < tally.expected:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(tally.all_in.wait(), ROOM_DRAIN_SECONDS)
    for reader in readers:
        reader.cancel()
    await asyncio.gather(*(connection.close() for connection in sockets), return_exceptions=True)
    latencies_ms = [value * 1000 for value in tally.latencies]
    return RoomFanoutResult(
        layer=layer,
        members=members,
        target_per_second=rate,
        achieved_per_second=tally.expected / max(elapsed, 1e-9),
        messages_sent=total,
        expected=tally.expected,
        received=tally.received,
        p50_ms=percentile(latencies_ms, 0.50),
        p99_ms=percentile(latencies_ms, 0.99),
        max_ms=max(latencies_ms, default=0.0),
    )


async def _room_connect(urls: list[str], room_id: int, tokens: list[str]) -> list[Any]:
    """Every member's socket, alternating between the servers; each has had its snapshot."""
    import websockets

    gate = asyncio.Semaphore(ROOM_CONNECT_CONCURRENCY)
    path = f"/ws/study/room/{room_id}/"

    async def open_one(index: int, token: str) -> Any:
        base_url = urls[index % len(urls)]
        for attempt in range(ROOM_CONNECT_ATTEMPTS):
            try:
                async with gate:
                    return await _room_open(ws_url(base_url, path, token), base_url)
            except (OSError, websockets.InvalidHandshake, websockets.ConnectionClosed):
                # daphne drops a handshake the app has not accepted within its connect
                # timeout; under the join storm of a 1,000-member room that happens.
                if attempt == ROOM_CONNECT_ATTEMPTS - 1:
                    raise
                await asyncio.sleep(1.0 + attempt)
        raise AssertionError("unreachable")

    return list(await asyncio.gather(*(open_one(i, t) for i, t in enumerate(tokens))))


async def _room_quiet(tally: _RoomTally) -> None:
    """Waits until no event has reached any member for ROOM_SETTLE_SECONDS."""
    started = time.perf_counter()
    while time.perf_counter() - tally.last_event_at < ROOM_SETTLE_SECONDS:
        if time.perf_counter() - started > ROOM_SETTLE_LIMIT_SECONDS:
            raise SystemExit("the room never went quiet before the measurement")
        await asyncio.sleep(0.2)


async def _room_open(url: str, origin: str) -> Any:
    import websockets

    connection = await websockets.connect(url, origin=origin, max_queue=None, proxy=None)  # type: ignore[arg-type]
    first = json.loads(await connection.recv())
    if first["type"] != "snapshot":
        raise SystemExit(f"room socket refused: {first}")
    return connection


async def _room_read(connection: Any, tally: _RoomTally) -> None:
    """Counts this member's chat deliveries (a substring test: no JSON parse per event)."""
    marker = '"message":"bench '
    async for raw in connection:
        tally.last_event_at = time.perf_counter()
        start = raw.find(marker)
        if start >= 0:
            end = raw.find('"', start + len(marker))
            tally.delivered(int(raw[start + len(marker) : end]))


def _room_summary(results: list[RoomFanoutResult]) -> None:
    by_layer: dict[str, list[RoomFanoutResult]] = {}
    for result in results:
        by_layer.setdefault(result.layer, []).append(result)
    print()
    for layer, runs in by_layer.items():
        verdict = "meets every target" if all(r.passed for r in runs) else "misses a target"
        worst = max(r.p99_ms for r in runs)
        print(f"{layer}: {verdict} (worst p99 {worst:.1f} ms, lost {sum(r.lost for r in runs)})")


# --- (c) scaling: one stream process against two ----------------------------------------------

PARTITIONS_SETTLE_SECONDS = 60.0
DRAIN_LEASE_MS = 30_000
DRAIN_LIMIT_SECONDS = 300.0
ACTIVITY_KINDS = ("answer", "answer", "scroll", "note", "focus")


def wait_for_partitions(env: dict[str, str], processes: int) -> None:
    """Waits until `processes` stream processes share every partition of the activity stream
    (their leases in Redis), so a measurement starts with the work already split. A single
    process holds them all from its first beat, before it says it is ready."""
    import redis

    if processes < 2:
        return
    partitions = int(env.get("STREAM_PARTITIONS", "16"))
    base = f"{env['STREAM_KEY_PREFIX']}{{learning.activity:leases}}"
    client = redis.Redis.from_url(env["REDIS_URL"], decode_responses=True)
    deadline = time.monotonic() + PARTITIONS_SETTLE_SECONDS
    try:
        while time.monotonic() < deadline:
            owners = client.mget([f"{base}:{index}" for index in range(partitions)])
            if all(owners) and len(set(owners)) == processes:
                return
            time.sleep(0.2)
    finally:
        client.close()
    raise SystemExit(f"{processes} stream processes never shared the {partitions} partitions")


@dataclass(frozen=True)
class DrainResult:
    processes: int
    events: int
    seconds: float
    stream_cpu: list[float]  # % of one core, each stream process, over the drain
    redis_cpu: float  # % of one core
    bench_cpu: float  # % of one core: this process, watching the partitions drain
    machine_busy: float  # % of all cores busy (anything: these processes and everyone else's)
    load_average: float
    entry_bytes: float  # Redis memory per stream entry (the backlog, as MEMORY USAGE counts it)

    @property
    def rate(self) -> float:
        return self.events / self.seconds

    @property
    def per_cpu_second(self) -> float:
        """Events per CPU second the stream processes spent: what a core given to them
        carries, whoever else wanted the cores."""
        return self.rate / max(sum(self.stream_cpu) / 100, 1e-9)


def _redis_cpu_seconds(client: Any) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def drain_backlog(
    env: dict[str, str],
    learners: list[tuple[int, str]],
    sessions: list[str],
    events: int,
    pids: list[int],
) -> DrainResult:
    """Writes `events` activity events of the learners' live sessions straight into their
    partitions (as daphne would, without the sockets: daphne and the clients would saturate the
    two cores long before the analyzer) while the stream processes are paused (SIGSTOP), then
    resumes them together (SIGCONT) and times until every partition is drained: read, folded
    into the stored state, metrics sent on the channel layer, acknowledged. Writing while they
    ran would time the writer, not them."""
    import json
    import signal

    import psutil

    from studymate_api.streaming import (
        RedisStreamBackend,
        partition_of,
        partition_stream,
        partition_streams,
    )

    partitions = int(env.get("STREAM_PARTITIONS", "16"))
    prefix = env["STREAM_KEY_PREFIX"]
    backend = RedisStreamBackend.from_url(env["REDIS_URL"], key_prefix=prefix, block_ms=1000)
    client = backend.client
    streams = partition_streams("learning.activity", partitions)
    encoded: list[tuple[str, str]] = []  # encoded before the pause, to keep the pause short
    for number in range(events):
        index = number % len(learners)
        user_id = learners[index][0]
        kind = ACTIVITY_KINDS[number % len(ACTIVITY_KINDS)]
        event: dict[str, Any] = {
            "session_id": sessions[index],
            "user_id": user_id,
            "event": kind,
            "at": time.time(),
            "ref": number // len(learners) + 1,
        }
        if kind == "answer":
            event["correct"] = number % 3 != 0
        stream = partition_stream("learning.activity", partition_of(user_id, partitions))
        encoded.append((stream, json.dumps(event, separators=(",", ":"))))
    processes = [psutil.Process(pid) for pid in pids]
    for process in processes:
        process.send_signal(signal.SIGSTOP)
    keys = [backend.key(stream) for stream in streams]
    try:
        for start in range(0, len(encoded), 5_000):
            backend.publish_routed(encoded[start : start + 5_000], max_length=events * 2)
        stored = sum(int(client.memory_usage(key, samples=0) or 0) for key in keys)
    finally:
        for process in processes:
            process.send_signal(signal.SIGCONT)
    cpu_before = [sum(process.cpu_times()[:2]) for process in processes]
    redis_before = _redis_cpu_seconds(client)
    me, machine_before = psutil.Process(), psutil.cpu_times()
    me_before = sum(me.cpu_times()[:2])
    started = time.perf_counter()
    while time.perf_counter() - started < DRAIN_LIMIT_SECONDS:
        # One pipelined XINFO GROUPS over the partitions: a cheap look, so this process takes
        # little of the cores the stream processes need.
        with client.pipeline(transaction=False) as pipe:
            for key in keys:
                pipe.xinfo_groups(key)
            replies = pipe.execute()
        groups = [g for reply in replies for g in reply if g["name"] == "analyzer"]
        if len(groups) == len(keys) and all(g["pending"] == 0 and g["lag"] == 0 for g in groups):
            break
        time.sleep(0.05)
    else:
        raise SystemExit(f"the backlog was not drained within {DRAIN_LIMIT_SECONDS} s")
    seconds = time.perf_counter() - started
    cpu_after = [sum(process.cpu_times()[:2]) for process in processes]
    redis_used = _redis_cpu_seconds(client) - redis_before
    me_used = sum(me.cpu_times()[:2]) - me_before
    machine_after = psutil.cpu_times()
    total = sum(machine_after) - sum(machine_before)
    idle = (machine_after.idle + machine_after.iowait) - (
        machine_before.idle + machine_before.iowait
    )
    client.delete(*keys)
    client.close()
    return DrainResult(
        processes=len(pids),
        events=events,
        seconds=seconds,
        stream_cpu=[100 * (a - b) / seconds for a, b in zip(cpu_after, cpu_before, strict=True)],
        redis_cpu=100 * redis_used / seconds,
        bench_cpu=100 * me_used / seconds,
        machine_busy=100 * (1 - idle / total) if total else 0.0,
        load_average=os.getloadavg()[0],
        entry_bytes=stored / events,
    )


def session_memory(redis_url: str, sessions: list[str]) -> float:
    """Bytes Redis holds per live session (its meta, analyzer state and heartbeat keys, as
    MEMORY USAGE counts them), averaged over the sessions."""
    import redis

    client = redis.Redis.from_url(redis_url)
    total = 0
    try:
        for session_id in sessions:
            for key in client.scan_iter(match=f"*realtime:learning:{session_id}:*", count=1000):
                total += int(client.memory_usage(key) or 0)
    finally:
        client.close()
    return total / max(len(sessions), 1)


def bench_scaling(args: argparse.Namespace) -> None:
    """One stream process against two, in one run: (1) saturation, a backlog of `--events`
    drained, events/s; (2) a fixed load over real sockets (`--learners` x `--rate`), p50/p99
    from an event sent to its metrics received."""
    counts = [int(count) for count in args.processes.split(",")]
    drains: list[DrainResult] = []
    with bench_stack(servers=1, streams=0) as stack:
        learners = create_learners(args.learners)
        sessions = start_sessions(stack.urls[0], learners)
        for count in counts:
            # A key prefix per measurement: fresh partitions, groups and leases. Leases long
            # enough that the pause while the backlog is written never lets one lapse.
            env = {
                **stack.env,
                "STREAM_KEY_PREFIX": f"{stack.env['STREAM_KEY_PREFIX']}d{count}:",
                "STREAM_LEASE_MS": str(DRAIN_LEASE_MS),
            }
            with running_stream_processes(env, count) as processes:
                wait_for_partitions(env, count)
                pids = [process.pid for process, _log in processes]
                result = drain_backlog(env, learners, sessions, args.events, pids)
            print(
                f"saturation, {count} stream process(es): {result.events} events in "
                f"{result.seconds:.2f} s = {result.rate:,.0f} events/s",
                flush=True,
            )
            drains.append(result)
        per_session = session_memory(stack.env["REDIS_URL"], sessions[:20])
    loads: list[tuple[int, LearnersResult]] = []
    for count in counts if args.learners_load else []:
        print(f"--- fixed load, {count} stream process(es)")
        loads.append((count, _bench_learners_on(PROJECT_DIR, args, streams=count)))
    print()
    print(f"saturation: a backlog of {args.events} events over {args.learners} live sessions")
    print(
        f"{'processes':>9} {'events/s':>9} {'x one':>6}  "
        "stream CPU (% of a core each)  events/CPU-s  Redis  watcher  cores busy  load"
    )
    for result in drains:
        print(
            f"{result.processes:>9} {result.rate:>9,.0f} {result.rate / drains[0].rate:>6.2f}  "
            f"{' + '.join(f'{cpu:.0f}' for cpu in result.stream_cpu):<29} "
            f"{result.per_cpu_second:>12,.0f}  "
            f"{result.redis_cpu:>5.0f}%  {result.bench_cpu:>6.0f}%  "
            f"{result.machine_busy:>9.0f}%  {result.load_average:.1f}"
        )
    print(f"Redis memory per live session (its meta and analyzer state): {per_session:.0f} B")
    print(f"Redis memory per activity stream entry: {drains[0].entry_bytes:.0f} B")
    print(f"fixed load: {args.learners} learners x {args.rate} events/s over real sockets")
    print(f"{'processes':>9} {'events/s':>9} {'p50 ms':>7} {'p99 ms':>7} {'unanswered':>10}")
    for count, load in loads:
        print(
            f"{count:>9} {load.processed_per_second:>9,.0f} {load.p50_ms:>7.1f} "
            f"{load.p99_ms:>7.1f} {load.unanswered:>10}"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    commands = parser.add_subparsers(dest="command", required=True)
    learners = commands.add_parser("learners", help="(a) activity events -> metrics")
    learners.add_argument("--learners", type=int, default=200)
    learners.add_argument("--rate", type=float, default=5.0, help="events/s per learner")
    learners.add_argument("--seconds", type=float, default=20.0, help="measured time")
    learners.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    learners.add_argument(
        "--baseline", type=Path, default=None, help="a worktree to run first, for before/after"
    )
    commands.add_parser("rooms", help="(b) room fan-out across two servers")
    scaling = commands.add_parser("scaling", help="(c) one stream process against two")
    scaling.add_argument("--processes", default="1,2", help="stream process counts to compare")
    scaling.add_argument("--events", type=int, default=100_000, help="backlog drained")
    scaling.add_argument("--learners", type=int, default=200)
    scaling.add_argument("--rate", type=float, default=5.0, help="events/s per learner")
    scaling.add_argument("--seconds", type=float, default=20.0, help="measured time")
    scaling.add_argument("--warmup", type=float, default=3.0, help="unmeasured seconds first")
    scaling.add_argument(
        "--no-learners-load",
        dest="learners_load",
        action="store_false",
        help="only the saturation figure",
    )
    args, _rest = parser.parse_known_args()
    if args.command == "learners":
        bench_learners(args)
    elif args.command == "scaling":
        bench_scaling(args)
    else:
        bench_rooms(args)


if __name__ == "__main__":
    main()
