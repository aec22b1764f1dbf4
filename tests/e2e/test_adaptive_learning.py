"""Adaptive quizzes and recommendations across real processes: daphne serves the API, a real
Celery worker folds graded answers into the learner model, Redis carries the broker and the
cache. A graded answer must reach the model through the quiz app's signal and the broker, and
the learner's cached recommendations must be invalidated by the worker's update."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.e2e.harness import http_client, running_worker, server_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def worker_log(e2e_database_url: str) -> Iterator[Path]:
    if not os.environ.get("REDIS_URL", "").strip():
        pytest.skip("a real worker needs the Redis broker (REDIS_URL)")
    with running_worker(server_env(DATABASE_URL=e2e_database_url)) as log:
        yield log


def _signed_in(client: httpx.Client, name: str) -> None:
    body = {"email": f"{name}@example.com", "password": "Blue-Lantern-77", "username": name}
    response = client.post("/api/auth/register/", json=body)
    assert response.status_code == 201, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access']}"
    client.headers["Accept-Language"] = "en"


def _public_quiz(client: httpx.Client) -> dict[str, Any]:
    subject = client.post(
        "/api/study/subjects/", json={"name": "Biology", "category": "science", "is_public": True}
    ).json()
    questions = [
        {"question_type": "true_false", "text": f"Cells {n}", "accepted_answers": ["true"],
         "topics": ["osmosis"], "difficulty": "medium"}
        for n in range(16)  # an adaptive attempt asks half the pool
    ]  # fmt: skip
    body = {"title": "Osmosis", "subject": subject["id"], "is_public": True, "questions": questions}
    response = client.post("/api/quiz/quizzes/", json=body)
    assert response.status_code == 201, response.text
    return dict(response.json())


def _weak_topics(client: httpx.Client) -> list[dict[str, Any]]:
    body = client.get("/api/personalization/recommendations/").json()
    return [r for r in body if r["type"] == "weak_topic"]


def test_graded_answers_reach_the_model_and_refresh_recommendations(
    live_server_url: str, worker_log: Path
) -> None:
    with http_client(live_server_url) as owner, http_client(live_server_url) as learner:
        _signed_in(owner, "adaptive-owner")
        _signed_in(learner, "adaptive-learner")
        quiz = _public_quiz(owner)
        assert _weak_topics(learner) == []  # computed and cached before any answer
        started = learner.post(
            f"/api/quiz/quizzes/{quiz['id']}/attempts/", json={"mode": "adaptive"}
        )
        assert started.status_code == 201, started.text
        attempt = started.json()["id"]
        first = learner.get(f"/api/quiz/attempts/{attempt}/next_question/").json()
        for _ in range(5):
            served = learner.get(f"/api/quiz/attempts/{attempt}/next_question/").json()
            body = {"attempt_id": attempt, "question_id": served["question"]["id"], "answer": False}
            assert learner.post("/api/quiz/submit-answer/", json=body).status_code == 200

        deadline = time.monotonic() + 20
        while not (weak := _weak_topics(learner)) and time.monotonic() < deadline:
            time.sleep(0.2)
        tail = worker_log.read_text(errors="replace")[-3000:]
        assert weak, f"no weak topic after the worker's updates; worker log:\n{tail}"
        assert weak[0]["reason"].startswith("Your weakest topic in Biology: osmosis (")
        # The AnswerGraded events reached the learner model in the worker's outbox deliveries.
        assert "studymate_api.cqrs.publish_event" in worker_log.read_text(errors="replace")
        later = learner.get(f"/api/quiz/attempts/{attempt}/next_question/").json()
        assert later["predicted_success"] < first["predicted_success"]
