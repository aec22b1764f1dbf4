"""A test-only idempotent endpoint whose outcomes a test scripts, mounted over the real URLconf.

`POST /api/test/idempotent/` answers the next outcome of `script` (201 by default) and counts its
runs; `hold` blocks inside the view until the test opens `gate`, so a second request can meet
the first one still running.
"""

from __future__ import annotations

import threading
from typing import Any

from django.urls import include, path
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.errors import ServiceUnavailable, ValidationFailed
from studymate_api.core.idempotency import idempotent

URL = "/api/test/idempotent/"


class Script:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.outcomes: list[str] = []
        self.runs = 0
        self.entered = threading.Event()
        self.gate = threading.Event()

    def reset(self, *outcomes: str) -> None:
        with self.lock:
            self.outcomes = list(outcomes)
            self.runs = 0
        self.entered.clear()
        self.gate.clear()

    def next(self) -> tuple[int, str]:
        with self.lock:
            self.runs += 1
            return self.runs, self.outcomes.pop(0) if self.outcomes else "created"


script = Script()


class ScriptedApi(APIView):
    @idempotent
    def post(self, request: Request) -> Response:
        run, outcome = script.next()
        if outcome == "hold":
            script.entered.set()
            script.gate.wait(timeout=30)
        elif outcome == "crash":
            raise RuntimeError("boom")
        elif outcome == "unavailable":
            raise ServiceUnavailable()
        elif outcome == "invalid":
            raise ValidationFailed(fields={"name": ["bad"]})
        elif outcome == "throttled":
            return Response({"error": {"code": "throttled"}}, status=429)
        body: dict[str, Any] = {"run": run, "echo": request.data}
        location = f"http://testserver/api/test/things/{run}/"
        return Response(body, status=201, headers={"Location": location})


urlpatterns = [
    path("api/test/idempotent/", ScriptedApi.as_view()),
    path("", include("studymate_api.urls")),
]
