"""Multiprocess mode: with PROMETHEUS_MULTIPROC_DIR set, /metrics/ in one process shows what every
process recorded, and live gauges forget processes marked dead.

prometheus_client reads the variable when it is imported, so each process here is a fresh Python.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from prometheus_client.multiprocess import mark_process_dead

from tests.platform.metrics.conftest import parse_samples, sample

pytestmark = pytest.mark.e2e

PROJECT_DIR = Path(__file__).resolve().parents[3]

_WRITER = """
import os, django
django.setup()
from studymate_api.metrics import record_ai_call, websocket_connected
websocket_connected("study_room")
record_ai_call("openai", "gpt-4o-mini", 10, 5, 0.001, 0.2, "success")
print(os.getpid())
"""

# DEBUG is on by default, so /metrics/ is open; the request itself is counted too.
_READER = """
import django
django.setup()
from django.test import Client
print(Client().get("/metrics/").content.decode())
"""


def _run(code: str, metrics_dir: Path) -> str:
    env = {
        "PATH": os.environ.get("PATH", os.defpath),
        "DJANGO_SETTINGS_MODULE": "studymate_api.settings",
        "PROMETHEUS_MULTIPROC_DIR": str(metrics_dir),
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    done = subprocess.run(
        [sys.executable, "-c", code],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_one_scrape_sums_every_process(tmp_path):
    first = int(_run(_WRITER, tmp_path).split()[-1])
    _run(_WRITER, tmp_path)

    samples = parse_samples(_run(_READER, tmp_path))

    labels = {"provider": "openai", "model": "gpt-4o-mini"}
    assert sample(samples, "studymate_ai_calls_total", outcome="success", **labels) == 2
    assert sample(samples, "studymate_ai_tokens_total", kind="prompt", **labels) == 20
    assert sample(samples, "studymate_websocket_connections", route="study_room") == 2

    mark_process_dead(first, str(tmp_path))
    samples = parse_samples(_run(_READER, tmp_path))

    assert sample(samples, "studymate_websocket_connections", route="study_room") == 1
    assert sample(samples, "studymate_ai_calls_total", outcome="success", **labels) == 2
    requests = "django_http_requests_total_by_view_transport_method_total"
    assert sample(samples, requests, view="prometheus-metrics", transport="http", method="GET") == 2
