"""One Idempotency-Key sent to two real server processes at once: one summary, one charge.

Two daphne processes share one PostgreSQL database (the claim is a row with a unique
constraint, so it must hold across processes, not only threads). The same summary request with
the same key goes to both at the same moment: one generates and charges, the other answers 409
`idempotency_in_progress` or, when it came second, the first answer replayed.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from tests.e2e.harness import assert_error, http_client, running_server, server_env

pytestmark = pytest.mark.e2e

TEXT = (
    "Photosynthesis is the process by which green plants turn light into chemical energy. "
    "It takes place mainly in the chloroplasts of leaf cells. Chlorophyll absorbs red and blue "
    "light and reflects green light, which is why leaves look green. The light reactions split "
    "water and release oxygen as a by-product. The Calvin cycle then uses carbon dioxide to "
    "build sugars that the plant stores or burns for growth."
)


@pytest.fixture(scope="module")
def two_servers(e2e_database_url: str) -> Iterator[tuple[str, str]]:
    # Generated inside the request (no worker needed, also when REDIS_URL names a broker), so
    # the charge happens while the key is held.
    env = server_env(
        DATABASE_URL=e2e_database_url,
        CELERY_TASK_ALWAYS_EAGER="true",
        BILLING_CREDITS_SUMMARY="1",
        # The one charge is what is checked: the local provider that answers costs credits.
        BILLING_LOCAL_PROVIDER_FREE="false",
    )
    with running_server(env) as first, running_server(env) as second:
        yield first, second


def _learner(base_url: str, name: str) -> tuple[dict[str, str], int]:
    with http_client(base_url) as client:
        account = {"email": f"{name}@example.com", "password": "Blue-Lantern-77", "username": name}
        registered = client.post("/api/auth/register/", json=account)
        assert registered.status_code == 201, registered.text
        headers = {"Authorization": f"Bearer {registered.json()['access']}"}
        subject = client.post("/api/study/subjects/", json={"name": "Biology"}, headers=headers)
        assert subject.status_code == 201, subject.text
    return headers, int(subject.json()["id"])


def _balance(base_url: str, auth: dict[str, str]) -> int:
    # The free plan's allowance is whatever the session's e2e database holds by now (an earlier
    # module's server may have created the plan): only the difference is this test's.
    with http_client(base_url) as client:
        return int(client.get("/api/subscription/credits/", headers=auth).json()["balance"])


def _send_at_once(urls: list[str], body: dict[str, Any], headers: dict[str, str]) -> list[Any]:
    start = threading.Barrier(len(urls))
    answers: dict[int, httpx.Response] = {}

    def send(index: int, base_url: str) -> None:
        with http_client(base_url) as client:
            start.wait(timeout=10)
            answers[index] = client.post("/api/study/generate-summary/", json=body, headers=headers)

    threads = [threading.Thread(target=send, args=(i, url)) for i, url in enumerate(urls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return [answers[i] for i in range(len(urls))]


def test_one_key_at_two_processes_gives_one_summary_and_one_charge(
    two_servers: tuple[str, str],
) -> None:
    first_server, second_server = two_servers
    auth, subject_id = _learner(first_server, "idem-e2e")
    headers = {**auth, "Idempotency-Key": "e2e-race-1"}
    body = {"subject_id": subject_id, "content": TEXT, "summary_type": "brief"}
    balance_before = _balance(first_server, auth)

    answers = _send_at_once([first_server, second_server], body, headers)

    replays = [a for a in answers if a.headers.get("Idempotent-Replayed") == "true"]
    runs = [a for a in answers if a.status_code == 202 and a not in replays]
    assert len(runs) == 1, [(a.status_code, a.text) for a in answers]
    generated = runs[0]
    for answer in answers:
        if answer is generated:
            continue
        if answer.status_code == 409:
            assert_error(answer, 409, "idempotency_in_progress")
            assert answer.headers["Retry-After"] == "1"
        else:
            assert answer.status_code == 202, answer.text
            assert answer.headers["Idempotent-Replayed"] == "true"
            assert answer.json() == generated.json()
    assert generated.json()["status"] == "completed"

    # A later retry, through either process, is the first answer again.
    for base_url in two_servers:
        with http_client(base_url) as client:
            retry = client.post("/api/study/generate-summary/", json=body, headers=headers)
        assert retry.status_code == 202
        assert retry.headers["Idempotent-Replayed"] == "true"
        assert retry.json() == generated.json()

    with http_client(second_server) as client:
        summaries = client.get("/api/study/summaries/", headers=auth).json()
        credits = client.get("/api/subscription/credits/", headers=auth).json()
    assert summaries["count"] == 1
    assert [entry["reason"] for entry in credits["ledger"]].count("ai_usage") == 1
    assert credits["balance"] == balance_before - 1
