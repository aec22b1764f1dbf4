"""A stand-in for Twilio's Messages API (`POST /2010-04-01/Accounts/<sid>/Messages.json`, form
fields To/From/Body, HTTP basic auth with the account SID and auth token), answering in
Twilio's shapes: `message()` (201) and `error()` with Twilio's error `code`."""

from __future__ import annotations

import base64
import itertools
from typing import Any
from urllib.parse import parse_qs

from .server import RecordedRequest, Reply, ScriptedServer

ACCOUNT_SID = "AC" + "0" * 31 + "1"
AUTH_TOKEN = "standin-auth-token"


class TwilioStandin(ScriptedServer):
    paths = (f"/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json",)

    def __init__(self) -> None:
        super().__init__(api_key=f"{ACCOUNT_SID}:{AUTH_TOKEN}")
        self._sids = itertools.count(1)

    @property
    def base_url(self) -> str:
        return self.origin

    def presented_key(self, request: RecordedRequest) -> str | None:
        auth = request.headers.get("authorization", "")
        if not auth.startswith("Basic "):
            return None
        return base64.b64decode(auth.removeprefix("Basic ")).decode()

    def unauthorized(self) -> Reply:
        return self.error(401, 20003, "Authenticate")

    @staticmethod
    def form(request: RecordedRequest) -> dict[str, str]:
        return {k: v[0] for k, v in parse_qs(request.body.decode()).items()}

    def message(self, *, status: str = "queued") -> Reply:
        sid = f"SM{next(self._sids):032d}"
        body: dict[str, Any] = {"sid": sid, "status": status, "account_sid": ACCOUNT_SID}
        return Reply(201, body)

    def error(
        self, status: int, code: int, message: str = "stand-in error", *, retry_after: int = 0
    ) -> Reply:
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        headers = {"Retry-After": str(retry_after)} if retry_after else {}
        return Reply(status, body, headers=headers)
