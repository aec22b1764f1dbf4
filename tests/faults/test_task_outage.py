"""Redis (the Celery broker and result backend) stopped under a running server: summary requests
still answer 202 at once (no request waits on the result backend or a broker retry loop), and
once Redis is back the requeue sweep has each summary generated exactly once."""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import psycopg
import pytest

from tests.e2e.harness import http_client, run_manage, running_server, running_worker, server_env
from tests.faults.conftest import (
    PrivatePostgres,
    PrivateRedis,
    learner_with_subject,
    migrate,
    wait_for,
)
from tests.faults.test_redis_outage import _restart

pytestmark = pytest.mark.e2e

REQUEUE = (
    "import datetime; from study.services import summary_requeue_stale; "
    "print(summary_requeue_stale(older_than=datetime.timedelta(0)))"
)
REQUESTS = 12
# Each request's text differs: identical requests are answered from the first one's summary.
MATERIAL = (
    "Photosynthesis turns light into chemical energy in the chloroplasts of plant cells. "
    "The light reactions make ATP and NADPH; the Calvin cycle then fixes carbon dioxide. "
)


def _summary_rows(database_url: str) -> list[tuple[str, int]]:
    with psycopg.connect(database_url.replace("postgres://", "postgresql://", 1)) as connection:
        rows = connection.execute(
            "SELECT s.status, (SELECT count(*) FROM core_aiusage u WHERE u.user_id = s.user_id"
            " AND u.outcome = 'success') FROM study_studysummary s ORDER BY s.id"
        ).fetchall()
    return [(str(status), int(calls)) for status, calls in rows]


def test_summary_requests_with_the_broker_down(
    private_postgres: PrivatePostgres, private_redis: PrivateRedis
) -> None:
    migrate(private_postgres.url)
    env = server_env(DATABASE_URL=private_postgres.url, REDIS_URL=private_redis.url)
    with running_server(env) as base_url, http_client(base_url) as api:
        headers, subject_id = learner_with_subject(api, "broker")

        private_redis.stop()

        def request(number: int) -> tuple[int, float]:
            body = {
                "subject_id": subject_id,
                "content": f"Lesson {number}. {MATERIAL * 2}",
                "summary_type": "brief",
            }
            started = time.monotonic()
            with httpx.Client(base_url=base_url, timeout=30) as own:
                answer = own.post("/api/study/generate-summary/", json=body, headers=headers)
            return answer.status_code, time.monotonic() - started

        with ThreadPoolExecutor(REQUESTS) as pool:
            answers = list(pool.map(request, range(REQUESTS)))
        assert [status for status, _ in answers] == [202] * REQUESTS
        assert max(seconds for _, seconds in answers) < 1.0, answers
        assert {status for status, _ in _summary_rows(private_postgres.url)} == {"pending"}

        _restart(private_redis)
        with running_worker(env):
            # What beat's `study.requeue_stale_summaries` does, without waiting REQUEUE_AFTER.
            sweep = run_manage("shell", "-c", REQUEUE, env=env)
            assert sweep.returncode == 0, sweep.stderr
            assert sweep.stdout.strip().splitlines()[-1] == str(REQUESTS)
            wait_for(
                lambda: {s for s, _ in _summary_rows(private_postgres.url)} == {"completed"},
                timeout=60,
                what="every summary generated",
            )
        rows = _summary_rows(private_postgres.url)
        assert len(rows) == REQUESTS
        assert rows[0][1] == REQUESTS  # one AI call each: none generated twice
