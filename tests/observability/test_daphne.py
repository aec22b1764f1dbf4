"""The web entry point for real: daphne serving `studymate_api.asgi` with tracing on answers
with the request id and exports the request's server span to the collector stand-in."""

from __future__ import annotations

import time

import pytest

from tests.e2e.harness import DEAD_DATABASE_URL, http_client, running_server, server_env
from tests.standins.otlp_api import OTLPStandin, ReceivedSpan

pytestmark = pytest.mark.e2e


def wait_for_spans(
    collector: OTLPStandin, scope: str, timeout: float = 15.0, *, name: str | None = None
) -> list[ReceivedSpan]:
    """The spans of `scope` received so far, once there is one (named `name`, when given: spans
    of one scope may arrive in several export batches)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = [span for span in collector.spans if span.scope == scope]
        if found and (name is None or any(span.name == name for span in found)):
            return found
        time.sleep(0.1)
    pytest.fail(f"no {scope} span {name or ''} within {timeout} s: {collector.spans}")


def test_daphne_returns_the_request_id_and_exports_the_server_span() -> None:
    with OTLPStandin() as collector:
        env = server_env(
            DATABASE_URL=DEAD_DATABASE_URL,
            DATABASE_POOL_TIMEOUT="1",  # each connection attempt gives up in a second, not 10
            OTEL_EXPORTER_OTLP_ENDPOINT=collector.endpoint,
            OTEL_BSP_SCHEDULE_DELAY="100",  # export batches every 0.1 s, not every 5 s
        )
        with running_server(env) as base_url, http_client(base_url) as client:
            response = client.get("/api/study/subjects/", headers={"X-Request-ID": "daphne-1"})
            generated = client.get("/api/study/subjects/").headers["X-Request-ID"]
            (server, *others) = wait_for_spans(collector, "opentelemetry.instrumentation.django")
    assert response.status_code == 401
    assert response.headers["X-Request-ID"] == "daphne-1"
    assert generated != "daphne-1"
    assert server.service == "studymate-web"
    assert server.name == "GET api/study/subjects/"
    assert server.attributes["http.response.status_code"] == 401
    # Liveness probes are excluded from tracing: only the two API requests are spans.
    assert all(span.name == "GET api/study/subjects/" for span in [server, *others])
