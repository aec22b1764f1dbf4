"""Submit-answer throughput and latency at 50 concurrent learners, and queries per submit.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/studymate_qbench \\
        REDIS_URL=redis://127.0.0.1:6379/10 .venv/bin/python bench/quiz_bench.py

PostgreSQL only (the row locks and the pool are what is measured): without DATABASE_URL it exits
with status 2. REDIS_URL is optional (the cache and the throttles' counters use it when set).

What runs: a fresh PostgreSQL database `studymate_bench_<random>` next to DATABASE_URL's is
migrated, seeded and dropped at the end (bench/study_bench.py's helpers). The seed is one public
quiz of --questions auto-graded questions (multiple choice, multiple select, true/false, short
answer in Korean and English, numeric with a tolerance) and --learners learners, plus one more
learner for the probes. Then:

1. Queries per submit, in this process: one learner's submits of every question type through
   Django's test client (JWT authentication, middleware, view, service), counted with
   CaptureQueriesContext. Target: the same count for every type, at most 6 queries; BEGIN,
   COMMIT and savepoints are printed apart and not counted (tests/quiz/test_attempts_api.py
   leaves savepoints out too; inside its test transaction there is no BEGIN or COMMIT).
2. daphne serves the project in a child process (production settings: DEBUG off, throttles on
   with rates that never refuse, pooled database connections) on a loopback socket; this process
   is the client (httpx on asyncio). Every learner starts an attempt (all at once), then all
   learners answer at once, each one its attempt's questions in order, one request at a time
   (so --learners requests are in flight), every question once; answers are a mix of right,
   wrong and partly right. Then the probe learner answers a fresh attempt over one connection:
   service time without queueing. A bare JsonResponse at the same concurrency is the yardstick.

Printed: requests/second, p50 and p99 latency, errors; the answers stored against the submits
that succeeded and how they were graded; the queries per submit and one submit's statements
with their milliseconds. Takes about 45 s with the defaults. Exit status 1 when the query
target is missed or a request failed.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

# bench/study_bench.py: importing it sets the production-like environment (BENCH_ENV).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_bench import (
    Result,
    point_django_at,
    results_json,
    server_process,
    temporary_database,
)

QUESTION_TYPES = ("multiple_choice", "multiple_select", "true_false", "short_answer")
SUBMIT = "/api/quiz/submit-answer/"
MAX_QUERIES = 6
# Typed in full-width Latin letters (NFKC folds them to "CHLOROPLAST").
FULL_WIDTH = "".join(chr(ord(c) + 0xFEE0) for c in "CHLOROPLAST")
# (text, accepted answers, numeric tolerance, what the learners type when right)
SHORT_ANSWERS = [
    ("대한민국의 수도는?", ["서울"], None, "  서울. "),
    ("광합성이 일어나는 세포 소기관은?", ["엽록체", "chloroplast"], None, FULL_WIDTH),
    ("What is pi to two decimals?", ["3.14"], 0.01, "3.15"),
    ("Name the largest planet.", ["Jupiter"], None, "jupiter"),
]


# --- the seed -----------------------------------------------------------------------------------


def question_specs(count: int) -> list[dict[str, Any]]:
    """`count` questions, the four auto-graded types in turn, as POST /quizzes/ takes them."""
    specs: list[dict[str, Any]] = []
    for n in range(count):
        kind = QUESTION_TYPES[n % len(QUESTION_TYPES)]
        spec: dict[str, Any] = {
            "question_type": kind,
            "text": f"Question {n}",
            "points": 1 + n % 3,
            "topics": [f"topic{n % 5}"],
            "explanation": "Because.",
        }
        if kind == "multiple_choice":
            spec["choices"] = [{"text": f"option {c}", "is_correct": c == n % 4} for c in range(4)]
        elif kind == "multiple_select":
            spec["choices"] = [{"text": f"pick {c}", "is_correct": c % 2 == 0} for c in range(5)]
        elif kind == "true_false":
            spec["accepted_answers"] = ["true" if n % 8 < 4 else "false"]
        else:
            text, accepted, tolerance, _given = SHORT_ANSWERS[(n // 4) % len(SHORT_ANSWERS)]
            spec.update(text=f"{text} ({n})", accepted_answers=accepted)
            if tolerance is not None:
                spec["numeric_tolerance"] = tolerance
        specs.append(spec)
    return specs


@dataclass(frozen=True)
class Seed:
    quiz_id: int
    tokens: list[str]  # the learners'
    probe_token: str
    # Per question: answers in the shape submit-answer takes, [right, wrong, partly right].
    answers: dict[int, list[Any]]
    kinds: dict[int, str]


def seed(learners: int, questions: int) -> Seed:
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from rest_framework_simplejwt.tokens import AccessToken

    from accounts.models import User, UserProfile
    from quiz import services
    from quiz.models import Question

    call_command("migrate", verbosity=0)
    owner = User.objects.create_user("owner@bench.example", None, username="owner")
    quiz = services.quiz_create(
        owner=owner,
        title="Bench quiz",
        is_public=True,
        show_answers="immediately",  # the response carries the right answer too
        questions=question_specs(questions),
    )
    no_password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"learner{n}@bench.example", username=f"learner{n}", password=no_password)
        for n in range(learners + 1)
    )
    UserProfile.objects.bulk_create(UserProfile(user=user) for user in users)
    tokens = [str(AccessToken.for_user(user)) for user in users]

    answers: dict[int, list[Any]] = {}
    kinds: dict[int, str] = {}
    for question in Question.objects.filter(quiz=quiz).prefetch_related("choices"):
        kinds[question.pk] = question.question_type
        choices = list(question.choices.all())
        right = [c.pk for c in choices if c.is_correct]
        wrong = [c.pk for c in choices if not c.is_correct]
        if question.question_type == "multiple_choice":
            answers[question.pk] = [right[0], wrong[0], right[0]]
        elif question.question_type == "multiple_select":
            answers[question.pk] = [right, wrong[:1], right[:2]]
        elif question.question_type == "true_false":
            value = question.accepted_answers == ["true"]
            answers[question.pk] = [value, not value, value]
        else:
            given = next(e[3] for e in SHORT_ANSWERS if e[1] == question.accepted_answers)
            answers[question.pk] = [given, "no idea", question.accepted_answers[0]]
    return Seed(quiz.pk, tokens[:-1], tokens[-1], answers, kinds)


def answer_for(seed: Seed, learner: int, position: int, question_id: int) -> Any:
    """Three in four right (in learner-dependent places), the rest wrong or partly right."""
    variant = (learner + position) % 4
    options = seed.answers[question_id]
    return options[0] if variant < 2 else options[1 if variant == 2 else 2]


# --- queries per submit (in this process) -------------------------------------------------------


TRANSACTION_CONTROL = ("BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE SAVEPOINT")


@dataclass(frozen=True)
class QueryCount:
    kind: str
    status: int
    statements: list[str]
    timed: list[float]  # milliseconds of the statements but BEGIN and COMMIT, in order
    request_ms: float  # the whole request, in process

    @property
    def queries(self) -> list[str]:
        """The statements that read or write data (what the target counts)."""
        return [sql for sql in self.statements if not sql.startswith(TRANSACTION_CONTROL)]

    @property
    def control(self) -> list[str]:
        """BEGIN, COMMIT and savepoints: round trips too, but not queries."""
        return [sql.split(" ")[0] for sql in self.statements if sql.startswith(TRANSACTION_CONTROL)]


def _timer(timed: list[float]) -> Any:
    """An execute wrapper that appends each statement's milliseconds to `timed` (BEGIN and
    COMMIT are the driver's, not executed statements: not timed)."""

    def wrapper(execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
        started = time.perf_counter()
        try:
            return execute(sql, params, many, context)
        finally:
            timed.append((time.perf_counter() - started) * 1000)

    return wrapper


def count_queries(seed: Seed) -> list[QueryCount]:
    """The probe learner starts an attempt and answers two questions of each type through the
    whole request path; the probe's attempt is deleted afterwards."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from quiz.models import QuizAttempt

    client = Client(
        headers={"authorization": f"Bearer {seed.probe_token}"}, SERVER_NAME="localhost"
    )
    response = client.post(
        f"/api/quiz/quizzes/{seed.quiz_id}/attempts/", content_type="application/json"
    )
    if response.status_code != 201:
        raise SystemExit(f"starting the probe attempt: HTTP {response.status_code}")
    attempt = response.json()
    counts: list[QueryCount] = []
    seen: dict[str, int] = {}
    for position, question in enumerate(attempt["questions"]):
        kind = question["question_type"]
        if seen.get(kind, 0) >= 2:
            continue
        seen[kind] = seen.get(kind, 0) + 1
        body = {
            "attempt_id": attempt["id"],
            "question_id": question["id"],
            "answer": answer_for(seed, 0, position, question["id"]),
        }
        timed: list[float] = []
        began = time.perf_counter()
        with (
            CaptureQueriesContext(connection) as queries,
            connection.execute_wrapper(_timer(timed)),
        ):
            response = client.post(SUBMIT, body, content_type="application/json")
        request_ms = (time.perf_counter() - began) * 1000
        statements = [q["sql"] for q in queries.captured_queries]
        counts.append(QueryCount(kind, response.status_code, statements, timed, request_ms))
    QuizAttempt.objects.filter(pk=attempt["id"]).delete()
    return counts


# --- the load -----------------------------------------------------------------------------------


@dataclass
class Tally:
    latencies_ms: list[float]
    errors: int = 0

    def record(self, name: str, started: float, status: int, expected: int, text: str) -> None:
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if status != expected:
            self.errors += 1
            if self.errors <= 3:
                print(f"  {name}: HTTP {status} {text[:200]}")


async def bare(base: str, requests: int, connections: int) -> Result:
    import httpx

    tally = Tally([])
    remaining = requests
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)

    async def worker(client: httpx.AsyncClient) -> None:
        nonlocal remaining
        while remaining > 0:
            remaining -= 1
            started = time.perf_counter()
            response = await client.get("/bench/bare/")
            tally.record("bare", started, response.status_code, 200, response.text)

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(worker(client) for _ in range(connections)))
        seconds = time.perf_counter() - started
    return Result(
        "bare JsonResponse", connections, requests, seconds, tally.latencies_ms, tally.errors
    )


async def start_attempts(base: str, seed: Seed, tokens: Sequence[str]) -> tuple[Result, list[Any]]:
    """Every learner in `tokens` starts an attempt, all at once; their attempts (None where
    starting failed)."""
    import httpx

    tally = Tally([])
    path = f"/api/quiz/quizzes/{seed.quiz_id}/attempts/"
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))

    async def one(client: httpx.AsyncClient, token: str) -> Any:
        started = time.perf_counter()
        response = await client.post(path, headers={"Authorization": f"Bearer {token}"})
        tally.record("start", started, response.status_code, 201, response.text)
        return response.json() if response.status_code == 201 else None

    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        attempts = await asyncio.gather(*(one(client, token) for token in tokens))
        seconds = time.perf_counter() - started
    result = Result(
        "start attempt", len(tokens), len(tokens), seconds, tally.latencies_ms, tally.errors
    )
    return result, list(attempts)


async def submit_all(
    base: str, seed: Seed, tokens: Sequence[str], attempts: Sequence[Any], name: str
) -> tuple[Result, int]:
    """Each learner answers its attempt's questions in order, one request at a time; learners
    run concurrently (one connection each). Returns the result and the submits answered 200."""
    import httpx

    tally = Tally([])
    ok = 0
    limits = httpx.Limits(max_connections=len(tokens), max_keepalive_connections=len(tokens))

    async def learner(client: httpx.AsyncClient, index: int, token: str, attempt: Any) -> None:
        nonlocal ok
        headers = {"Authorization": f"Bearer {token}"}
        for position, question in enumerate(attempt["questions"]):
            body = {
                "attempt_id": attempt["id"],
                "question_id": question["id"],
                "answer": answer_for(seed, index, position, question["id"]),
            }
            started = time.perf_counter()
            response = await client.post(SUBMIT, json=body, headers=headers)
            tally.record(name, started, response.status_code, 200, response.text)
            ok += response.status_code == 200

    pairs = [(i, t, a) for i, (t, a) in enumerate(zip(tokens, attempts, strict=True)) if a]
    requests = sum(len(a["questions"]) for _i, _t, a in pairs)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=30) as client:
        started = time.perf_counter()
        await asyncio.gather(*(learner(client, i, t, a) for i, t, a in pairs))
        seconds = time.perf_counter() - started
    result = Result(name, len(pairs), requests, seconds, tally.latencies_ms, tally.errors)
    return result, ok


def run(base: str, seed: Seed, args: argparse.Namespace) -> tuple[list[Result], int, int]:
    """The results, the submits answered 200 and the attempts started (for the check)."""
    results: list[Result] = []
    asyncio.run(bare(base, 300, args.learners))  # warm-up: imports, threads, pool
    results.append(asyncio.run(bare(base, args.bare, args.learners)))
    started, attempts = asyncio.run(start_attempts(base, seed, seed.tokens))
    results.append(started)
    submitted, ok = asyncio.run(submit_all(base, seed, seed.tokens, attempts, "submit answer"))
    results.append(submitted)
    results.append(asyncio.run(bare(base, args.bare // 5, 1)))
    _probe_start, probe = asyncio.run(start_attempts(base, seed, [seed.probe_token]))
    one, probe_ok = asyncio.run(submit_all(base, seed, [seed.probe_token], probe, "submit answer"))
    results.append(one)
    return results, ok + probe_ok, sum(1 for a in [*attempts, *probe] if a)


# --- the report ---------------------------------------------------------------------------------


def report(
    results: list[Result], counts: list[QueryCount], stored: int, ok: int, grades: str
) -> bool:
    cache = "Redis" if os.environ.get("REDIS_URL") else "local memory"
    pool = os.environ.get("DATABASE_POOL_MAX_SIZE", "10")
    print(f"\ndatabase: PostgreSQL (pool of {pool}), cache: {cache}, daphne, one server process")
    header = f"{'endpoint':<20}{'conns':>6}{'requests':>9}{'req/s':>9}{'p50 ms':>9}"
    print(header + f"{'p99 ms':>9}{'errors':>7}")
    for r in results:
        print(
            f"{r.name:<20}{r.connections:>6}{r.requests:>9}{r.rps:>9.0f}"
            f"{r.percentile(0.5):>9.1f}{r.percentile(0.99):>9.1f}{r.errors:>7}"
        )
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average {load_average})")
    print(f"answers stored: {stored} for {ok} submits answered 200 ({grades})")

    print("\nqueries per submit (the whole request, in process, two of each type)")
    for count in counts:
        print(
            f"  {count.kind:<16} HTTP {count.status}  {len(count.queries)} queries"
            f" + {len(count.control)} transaction statements ({', '.join(count.control)})"
        )
    distinct = {len(count.queries) for count in counts}
    passed = len(distinct) == 1 and max(distinct) <= MAX_QUERIES
    passed = passed and all(count.status == 200 for count in counts)
    verdict = "constant" if len(distinct) == 1 else "NOT constant"
    print(f"  {verdict}; target at most {MAX_QUERIES} queries: {'met' if passed else 'MISSED'}")
    if counts:
        last = counts[-1]
        print(
            f"  statements of one submit, in ms (the request took {last.request_ms:.1f} ms in"
            f" process; BEGIN and COMMIT are not timed):"
        )
        timed = iter(last.timed)
        for sql in last.statements:
            ms = "     -" if sql in {"BEGIN", "COMMIT"} else f"{next(timed, 0.0):6.2f}"
            print(f"    {ms}  {sql[:100]}")
    return passed and stored == ok and all(r.errors == 0 for r in results)


def stored_answers() -> tuple[int, str]:
    """How many answers the database holds, and how they were graded."""
    from django.db.models import Count, F, Q

    from quiz.models import UserAnswer

    totals = UserAnswer.objects.aggregate(
        all=Count("id"),
        right=Count("id", filter=Q(is_correct=True)),
        partly=Count("id", filter=Q(is_correct=False, score__gt=0)),
        full=Count("id", filter=Q(is_correct=True, score=F("question__points"))),
    )
    wrong = totals["all"] - totals["right"] - totals["partly"]
    grades = f"{totals['right']} right, {totals['partly']} partly right, {wrong} wrong"
    if totals["full"] != totals["right"]:
        grades += f"; {totals['right'] - totals['full']} right answers without full points!"
    return totals["all"], grades


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--learners", type=int, default=50, help="concurrent learners")
    parser.add_argument("--questions", type=int, default=40, help="questions in the quiz")
    parser.add_argument("--bare", type=int, default=1000, help="requests of the bare view")
    parser.add_argument("--json", action="store_true", help="end with the rows as a JSON line")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").strip():
        print(
            "quiz_bench needs PostgreSQL: set DATABASE_URL=postgres://user@host:port/name "
            "(a temporary database is created next to it and dropped at the end).",
            file=sys.stderr,
        )
        raise SystemExit(2)
    with temporary_database() as database:
        point_django_at(database)
        import django

        django.setup()
        from django.db import connections

        from studymate_api.cache import clear_all

        started = time.monotonic()
        data = seed(args.learners, args.questions)
        clear_all()  # ids repeat from run to run (a fresh database): a shared Redis forgets
        counts = count_queries(data)
        print(f"seeded and probed in {time.monotonic() - started:.1f} s")
        connections.close_all()
        with server_process(database) as base:
            results, ok, _attempts = run(base, data, args)
        stored, grades = stored_answers()
        connections.close_all()
        passed = report(results, counts, stored, ok, grades)
        if args.json:
            print(results_json(results))
    raise SystemExit(0 if passed else 1)


if __name__ == "__main__":
    main()
