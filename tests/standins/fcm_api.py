"""A stand-in for FCM HTTP v1 and the Google OAuth2 token endpoint it needs, as google-auth and
an HTTP client call them: `POST /token` (a JWT-bearer assertion signed with the service account's
key, answered with an access token; not part of the reply queue) and
`POST /v1/projects/<project>/messages:send` (answered from the queue: `sent()`, or `error()` in
FCM's shape with an `errorCode` detail such as UNREGISTERED; `invalid_token()` and
`bad_payload()` are the two faces of INVALID_ARGUMENT: a malformed registration token, and a
message FCM refuses, whose `google.rpc.BadRequest` detail names the offending field).

    with FCMStandin() as fcm:
        info = fcm.service_account()          # a fresh key whose token_uri is this server
        fcm.enqueue(fcm.error(503, "UNAVAILABLE"), fcm.sent())
"""

from __future__ import annotations

import base64
import itertools
import json
import time
from typing import Any
from urllib.parse import parse_qs

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa

from .server import RecordedRequest, Reply, ScriptedServer

PROJECT = "studymate-standin"
TOKEN_PATH = "/token"
GOOGLE_TOKEN_AUDIENCE = "https://oauth2.googleapis.com/token"
SEND_PATH = f"/v1/projects/{PROJECT}/messages:send"
FCM_ERROR_TYPE = "type.googleapis.com/google.firebase.fcm.v1.FcmError"
BAD_REQUEST_TYPE = "type.googleapis.com/google.rpc.BadRequest"
INVALID_TOKEN_MESSAGE = "The registration token is not a valid FCM registration token"
_STATUS_BY_CODE = {
    "UNREGISTERED": (404, "NOT_FOUND"),
    "INVALID_ARGUMENT": (400, "INVALID_ARGUMENT"),
    "UNAVAILABLE": (503, "UNAVAILABLE"),
    "INTERNAL": (500, "INTERNAL"),
    "QUOTA_EXCEEDED": (429, "RESOURCE_EXHAUSTED"),
    "SENDER_ID_MISMATCH": (403, "PERMISSION_DENIED"),
}


def _b64decode(segment: str) -> bytes:
    return base64.urlsafe_b64decode(segment + "=" * (-len(segment) % 4))


class FCMStandin(ScriptedServer):
    paths = (SEND_PATH,)

    def __init__(self) -> None:
        super().__init__()
        self._key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        self._tokens = itertools.count(1)
        self.issued_tokens: list[str] = []
        self.token_requests: list[RecordedRequest] = []

    @property
    def messages(self) -> list[RecordedRequest]:
        return [r for r in self.requests if r.path == SEND_PATH]

    def service_account(self) -> dict[str, Any]:
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        ).decode()
        return {
            "type": "service_account",
            "project_id": PROJECT,
            "private_key_id": "standin-key-1",
            "private_key": pem,
            "client_email": f"notifier@{PROJECT}.iam.gserviceaccount.com",
            "client_id": "1",
            "token_uri": f"{self.origin}{TOKEN_PATH}",
        }

    # --- the OAuth2 token endpoint --------------------------------------------------------------

    def answer(self, request: RecordedRequest) -> Reply:
        if request.path != TOKEN_PATH:
            reply = super().answer(request)
            if request.path == SEND_PATH and reply.status == 200:
                return self._checked(request, reply)
            return reply
        with self._lock:
            self.token_requests.append(request)
        claims = self._verified_claims(request)
        if claims is None:
            return Reply(400, {"error": "invalid_grant", "error_description": "bad assertion"})
        token = f"ya29.standin-{next(self._tokens)}"
        with self._lock:
            self.issued_tokens.append(token)
        return Reply(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer"})

    def _verified_claims(self, request: RecordedRequest) -> dict[str, Any] | None:
        """The assertion's claims when it is an RS256 JWT signed by the key, for this token URI,
        asking for the FCM scope, not expired."""
        form = parse_qs(request.body.decode())
        if form.get("grant_type") != ["urn:ietf:params:oauth:grant-type:jwt-bearer"]:
            return None
        try:
            header, payload, signature = form["assertion"][0].split(".")
            self._key.public_key().verify(
                _b64decode(signature),
                f"{header}.{payload}".encode(),
                padding.PKCS1v15(),
                hashes.SHA256(),
            )
            claims: dict[str, Any] = json.loads(_b64decode(payload))
        except (KeyError, ValueError, IndexError, InvalidSignature):
            return None
        fresh = claims.get("exp", 0) > time.time() - 60
        issuer = claims.get("iss") == f"notifier@{PROJECT}.iam.gserviceaccount.com"
        scoped = "firebase.messaging" in str(claims.get("scope", ""))
        # google-auth addresses the assertion to Google's token URI whatever `token_uri` says.
        ours = claims.get("aud") in {f"{self.origin}{TOKEN_PATH}", GOOGLE_TOKEN_AUDIENCE}
        return claims if fresh and scoped and ours and issuer else None

    def _checked(self, request: RecordedRequest, reply: Reply) -> Reply:
        """A send must carry a token this server issued and a message with a target token."""
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.issued_tokens:
            return self.error(401, "UNAUTHENTICATED")
        message = (request.json or {}).get("message", {})
        if not message.get("token"):
            return self.bad_payload("message", "Recipient of the message is not set.")
        return reply

    # --- replies --------------------------------------------------------------------------------

    def sent(self, message_id: str = "0:1700000000000000%standin") -> Reply:
        return Reply(200, {"name": f"projects/{PROJECT}/messages/{message_id}"})

    def error(
        self,
        status: int,
        code: str,
        *,
        retry_after: int | None = None,
        message: str | None = None,
        field_violations: list[dict[str, str]] | None = None,
    ) -> Reply:
        http_status, google_status = _STATUS_BY_CODE.get(code, (status, code))
        details: list[dict[str, Any]] = [{"@type": FCM_ERROR_TYPE, "errorCode": code}]
        if field_violations:
            details.append({"@type": BAD_REQUEST_TYPE, "fieldViolations": field_violations})
        body = {
            "error": {
                "code": status or http_status,
                "message": message or f"stand-in: {code}",
                "status": google_status,
                "details": details,
            }
        }
        headers = {"Retry-After": str(retry_after)} if retry_after is not None else {}
        return Reply(status or http_status, body, headers=headers)

    def unregistered(self) -> Reply:
        """The token was valid once: the app was uninstalled or the token expired."""
        return self.error(404, "UNREGISTERED", message="Requested entity was not found.")

    def invalid_token(self, *, with_field: bool = False) -> Reply:
        """A malformed registration token, as FCM answers it (the field violation on
        `message.token` is the form some API versions add)."""
        violations = [{"field": "message.token", "description": INVALID_TOKEN_MESSAGE}]
        return self.error(
            400,
            "INVALID_ARGUMENT",
            message=INVALID_TOKEN_MESSAGE,
            field_violations=violations if with_field else None,
        )

    def bad_payload(self, field: str = "message.data[0].key", description: str = "") -> Reply:
        """A message FCM refuses whatever the token: a reserved data key, a payload too big..."""
        description = description or f"Invalid value at '{field}'"
        return self.error(
            400,
            "INVALID_ARGUMENT",
            message=f"Invalid JSON payload received. {description}",
            field_violations=[{"field": field, "description": description}],
        )
