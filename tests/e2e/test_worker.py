"""A real Celery worker on the Redis broker runs the platform's tasks."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from celery import current_app

from tests.e2e.harness import http_client, running_worker, server_env

pytestmark = pytest.mark.e2e


@pytest.fixture(scope="module")
def worker_log(e2e_database_url: str) -> Iterator[Path]:
    if not os.environ.get("REDIS_URL", "").strip():
        pytest.skip("a real worker needs the Redis broker (REDIS_URL)")
    with running_worker(server_env(DATABASE_URL=e2e_database_url)) as log:
        yield log


def _wait_for(log: Path, needle: str, timeout: float = 15.0) -> str:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        text = log.read_text(errors="replace")
        if needle in text:
            return text
        time.sleep(0.1)
    pytest.fail(f"{needle!r} not in the worker log:\n{log.read_text(errors='replace')[-3000:]}")


def test_worker_runs_the_outbox_sweep_sent_through_the_broker(worker_log: Path) -> None:
    result = current_app.send_task("studymate_api.cqrs.publish_outbox")
    text = _wait_for(worker_log, f"[{result.id}] succeeded")
    assert "publish_outbox" in text


ENGLISH = (
    "Photosynthesis is the process by which green plants turn light into chemical energy. "
    "It takes place mainly in the chloroplasts of leaf cells. Chlorophyll absorbs red and blue "
    "light and reflects green light, which is why leaves look green. The light reactions split "
    "water and release oxygen as a by-product. The Calvin cycle then uses carbon dioxide to "
    "build sugars that the plant stores or burns for growth."
)
KOREAN = (
    "광합성은 식물이 빛 에너지를 화학 에너지로 바꾸는 과정이다. 이 과정은 주로 잎의 엽록체에서 "
    "일어난다. 엽록소는 빨간빛과 파란빛을 흡수하고 초록빛을 반사한다. 명반응에서는 물이 분해되어 "
    "산소가 만들어진다. 캘빈 회로는 이산화탄소를 이용해 식물이 저장하거나 성장에 쓰는 당을 만든다."
)


def _signed_in(client: httpx.Client) -> None:
    body = {"email": "worker-e2e@example.com", "password": "Blue-Lantern-77", "username": "wkr"}
    response = client.post("/api/auth/register/", json=body)
    assert response.status_code == 201, response.text
    client.headers["Authorization"] = f"Bearer {response.json()['access']}"


def _completed(client: httpx.Client, summary_id: int, timeout: float = 20.0) -> dict[str, object]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        summary = client.get(f"/api/study/summaries/{summary_id}/").json()
        if summary["status"] != "pending":
            return dict(summary)
        time.sleep(0.2)
    pytest.fail(f"summary {summary_id} still pending after {timeout} s")


def test_summary_is_generated_by_the_worker(live_server_url: str, worker_log: Path) -> None:
    with http_client(live_server_url) as client:
        _signed_in(client)
        subject = client.post("/api/study/subjects/", json={"name": "Biology"}).json()
        for text in (ENGLISH, KOREAN):
            request = {"subject_id": subject["id"], "content": text, "summary_type": "brief"}
            accepted = client.post("/api/study/generate-summary/", json=request)
            assert accepted.status_code == 202, accepted.text
            summary = _completed(client, accepted.json()["id"])
            assert summary["status"] == "completed", summary
            assert summary["provider"] == "local"
            produced = str(summary["summary"])
            assert 0 < len(produced) < len(text)
            # Extractive: the summary's first sentence is taken from the source text.
            assert produced.split(". ")[0].rstrip(".") in text
    assert "study.generate_summary" in worker_log.read_text(errors="replace")
