"""Does POST /api/auth/password/reset/ take longer for an address that has an account?

    .venv/bin/python bench/reset_timing.py [--rounds 2000] [--warmup 200] [--json]
    .venv/bin/python bench/reset_timing.py --live http://127.0.0.1:8000 --known-email a@b.c

The contract (API.md) asks for the same 202 for known and unknown addresses in the same time (no
measurable difference). Each round sends one request for a known address and one for an unknown
one, in random order, and times each from the client's side; the report gives both
medians and the difference of the paired rounds (known - unknown) with a bootstrap 95%
confidence interval: a difference is measurable when the interval excludes zero.

In-process (default): Django's test client against a test database made next to the configured
one (DATABASE_URL, or the embedded SQLite), an SMTP server on loopback (aiosmtpd) as EMAIL_URL,
every throttle lifted (each request would otherwise count against the address and the client).
What runs inside the request depends on REDIS_URL, as in production:
- set: Celery publishes the code's task to the broker (the worker would issue and mail the
  code); the queued tasks are purged at the end. This is the production path.
- unset (embedded): Celery is eager, so the task runs inside the request and the SMTP exchange
  for a known address is part of its time. Shown for honesty; the embedded mode is for
  development, not a deployment.

--live: a running server over HTTP (httpx); `--known-email` must have an account there, and its
throttles must allow 2 x rounds requests (THROTTLE_PASSWORD_RESET_RATE,
THROTTLE_PASSWORD_RESET_ADDRESS_RATE, THROTTLE_ANON_RATE).
"""

from __future__ import annotations

import argparse
import json
import os
import random
import socket
import statistics
import sys
import time
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

PROJECT_DIR = Path(__file__).resolve().parent.parent
RESET = "/api/auth/password/reset/"
UNLIMITED = "100000000/hour"
_THROTTLES = (
    "THROTTLE_ANON_RATE",
    "THROTTLE_PASSWORD_RESET_RATE",
    "THROTTLE_PASSWORD_RESET_ADDRESS_RATE",
)

Post = Callable[[str], int]  # sends a reset for the address, answers the status
_rng = random.Random(17)  # noqa: S311 - reproducible order and resamples, not a secret


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--live", help="base URL of a running server")
    parser.add_argument("--known-email", help="an address with an account (--live)")
    parser.add_argument("--seed", type=int, default=17)
    parser.add_argument("--json", action="store_true", help="end with the figures as JSON")
    args = parser.parse_args()
    _rng.seed(args.seed)
    if args.live:
        if not args.known_email:
            parser.error("--live needs --known-email")
        result = _measure_live(args.live, args.known_email, args.rounds, args.warmup)
    else:
        result = _measure_in_process(args.rounds, args.warmup)
    _report(result)
    if args.json:
        print(json.dumps(result))


# --- in process ---------------------------------------------------------------------------------


def _measure_in_process(rounds: int, warmup: int) -> dict[str, Any]:
    from aiosmtpd.controller import Controller

    for variable in _THROTTLES:
        os.environ[variable] = UNLIMITED
    smtp = _CountingSmtp()
    controller = Controller(smtp, hostname="127.0.0.1", port=_free_port())
    controller.start()
    os.environ["EMAIL_URL"] = f"smtp://127.0.0.1:{controller.port}"
    sys.path.insert(0, str(PROJECT_DIR))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection
    from django.test.utils import setup_test_environment
    from rest_framework.test import APIClient

    from studymate_api.celery import app as celery_app

    setup_test_environment()  # the test client's host; it also swaps the mail backend:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    database = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        from accounts.models import User

        known = f"known-{uuid.uuid4().hex[:8]}@example.com"
        User.objects.create_user(email=known, password=uuid.uuid4().hex)
        eager = bool(settings.CELERY_TASK_ALWAYS_EAGER)

        def post(email: str) -> int:
            # A client address per request, as many learners behind many networks.
            address = f"10.{_rng.randrange(256)}.{_rng.randrange(256)}.1"
            client = APIClient(REMOTE_ADDR=address)
            return int(client.post(RESET, {"email": email}, format="json").status_code)

        result = _rounds(post, known, rounds, warmup)
        result.update(
            mode="in-process",
            celery="eager: the task runs inside the request" if eager else "broker",
            database=settings.DATABASES["default"]["ENGINE"].rsplit(".", 1)[-1],
            mails_sent=smtp.count,
        )
        if not eager:
            result["tasks_purged"] = celery_app.control.purge()
        return result
    finally:
        connection.creation.destroy_test_db(database, verbosity=0)
        controller.stop()


class _CountingSmtp:
    def __init__(self) -> None:
        self.count = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.count += 1
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


# --- live ---------------------------------------------------------------------------------------


def _measure_live(base: str, known: str, rounds: int, warmup: int) -> dict[str, Any]:
    import httpx

    with httpx.Client(base_url=base.rstrip("/"), timeout=30) as client:

        def post(email: str) -> int:
            return client.post(RESET, json={"email": email}).status_code

        result = _rounds(post, known, rounds, warmup)
    result.update(mode=f"live {base}")
    return result


# --- measuring and reporting --------------------------------------------------------------------


def _rounds(post: Post, known: str, rounds: int, warmup: int) -> dict[str, Any]:
    """`warmup` unreported rounds, then `rounds`: one known and one unknown address each, in
    random order; milliseconds per request."""
    times: dict[str, list[float]] = {"known": [], "unknown": []}
    statuses: set[int] = set()
    for index in range(warmup + rounds):
        unknown = f"nobody-{uuid.uuid4().hex[:12]}@example.com"
        order = [("known", known), ("unknown", unknown)]
        _rng.shuffle(order)
        for kind, email in order:
            started = time.perf_counter_ns()
            statuses.add(post(email))
            elapsed = (time.perf_counter_ns() - started) / 1e6
            if index >= warmup:
                times[kind].append(elapsed)
    differences = [k - u for k, u in zip(times["known"], times["unknown"], strict=True)]
    low, high = _bootstrap_median_ci(differences)
    return {
        "rounds": rounds,
        "statuses": sorted(statuses),
        "known_median_ms": statistics.median(times["known"]),
        "unknown_median_ms": statistics.median(times["unknown"]),
        "known_p90_ms": _quantile(times["known"], 0.9),
        "unknown_p90_ms": _quantile(times["unknown"], 0.9),
        "difference_median_ms": statistics.median(differences),
        "difference_ci95_ms": [low, high],
        "measurable": not (low <= 0.0 <= high),
    }


def _quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def _bootstrap_median_ci(values: list[float], resamples: int = 2000) -> tuple[float, float]:
    """95% percentile-bootstrap interval of the median of `values`."""
    medians = sorted(
        statistics.median(_rng.choices(values, k=len(values))) for _ in range(resamples)
    )
    return medians[int(0.025 * resamples)], medians[int(0.975 * resamples) - 1]


def _report(result: dict[str, Any]) -> None:
    print(f"password reset timing, {result['mode']}, {result['rounds']} paired rounds")
    for name in ("celery", "database", "mails_sent", "tasks_purged", "statuses"):
        if name in result:
            print(f"  {name}: {result[name]}")
    print(
        f"  known:   median {result['known_median_ms']:.3f} ms, p90 {result['known_p90_ms']:.3f} ms"
    )
    print(
        f"  unknown: median {result['unknown_median_ms']:.3f} ms, "
        f"p90 {result['unknown_p90_ms']:.3f} ms"
    )
    low, high = result["difference_ci95_ms"]
    verdict = "MEASURABLE" if result["measurable"] else "not measurable (CI includes 0)"
    print(
        f"  known - unknown (paired, median): {result['difference_median_ms']:+.3f} ms, "
        f"95% CI [{low:+.3f}, {high:+.3f}] ms: {verdict}"
    )


if __name__ == "__main__":
    main()
