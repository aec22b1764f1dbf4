"""TOTP codes as an authenticator app computes them (RFC 6238: HMAC-SHA1, 30 s, 6 digits),
written out here rather than taken from allauth, so the tests check the server against the
standard and not against itself."""

from __future__ import annotations

import base64
import hashlib
import hmac
import struct
import time
from typing import Any

from rest_framework.test import APIClient

PERIOD = 30


def totp_code(secret: str, *, steps: int = 0, at: float | None = None) -> str:
    """The code of the time step `steps` away from now (the server accepts one either side)."""
    counter = int((time.time() if at is None else at) // PERIOD) + steps
    key = base64.b32decode(secret, casefold=True)
    digest = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = (int.from_bytes(digest[offset : offset + 4], "big") & 0x7FFFFFFF) % 1_000_000
    return f"{value:06d}"


def settled_step() -> None:
    """Waits out the last two seconds of a time step, so the codes of "now", one step back and
    one step ahead computed next are still accepted when the server checks them."""
    left = PERIOD - time.time() % PERIOD
    if left < 2:
        time.sleep(left + 0.05)


def totp_enable(client: APIClient) -> dict[str, Any]:
    """Turns TOTP on for the client's user through the API: the secret and the recovery codes.
    The code that confirmed it is one step back: the current and next steps stay unused."""
    settled_step()
    setup = client.post("/api/auth/mfa/totp/")
    assert setup.status_code == 200, setup.content
    secret = setup.json()["secret"]
    confirm = client.post("/api/auth/mfa/totp/confirm/", {"code": totp_code(secret, steps=-1)})
    assert confirm.status_code == 200, confirm.content
    return {"secret": secret, "recovery_codes": confirm.json()["recovery_codes"]}
