"""Error reports for real: a process with SENTRY_DSN posts an envelope to a Sentry-protocol
stand-in when a view raises, with credentials scrubbed; without it sentry_sdk stays unloaded."""

from __future__ import annotations

import json

import pytest

from tests.observability.test_tracing import run_probe
from tests.standins.sentry_api import SentryStandin

pytestmark = pytest.mark.e2e


def test_a_failing_view_is_reported_once_without_credentials() -> None:
    with SentryStandin() as sentry:
        result = run_probe(
            "error", SENTRY_DSN=sentry.dsn, SENTRY_ENVIRONMENT="ci", SENTRY_RELEASE="1.2.3"
        )
        envelopes = json.dumps(
            [[h, [(ih, p.decode()) for ih, p in items]] for h, items in sentry.envelopes()]
        )
        events = sentry.events
    assert json.loads(result.stdout.splitlines()[-1]) == {"status": "500 Internal Server Error"}
    (event,) = events
    (exception,) = event["exception"]["values"]
    assert exception["type"] == "ProbeFailure"
    assert event["environment"] == "ci"
    assert event["release"] == "1.2.3"
    headers = {name.lower(): value for name, value in event["request"]["headers"].items()}
    assert headers["authorization"] == "[Filtered]"
    assert headers["x-request-id"] == "probe-error-1"
    assert event["tags"]["request_id"] == "probe-error-1"
    # Neither the token nor the session cookie is anywhere in what was sent.
    assert "probe-secret-token" not in envelopes
    assert "probe-session-cookie" not in envelopes
    assert "ip_address" not in event.get("user", {})


def test_a_bad_dsn_fails_at_start_naming_the_variable() -> None:
    import subprocess
    import sys

    from tests.observability.test_tracing import ROOT

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup()"],
        cwd=ROOT,
        env={
            "SENTRY_DSN": "not a url",
            "DJANGO_SETTINGS_MODULE": "studymate_api.settings",
            "PATH": "/usr/bin:/bin",
        },
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "SENTRY_DSN" in result.stderr
