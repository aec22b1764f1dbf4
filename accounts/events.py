"""Event types of the accounts domain, as stored in the event store.

| event | aggregate | recorded by |
| --- | --- | --- |
| SignedOut | user:<id> | `tokens_revoke` (logout), `sign_in_revoke` (one sign-in ended) |
| PasswordChanged | user:<id> | `user_password_change` |
| UserAccessChanged | user:<id> | `user_access_changed` (admin: `is_active` or `is_staff` changed) |

Each says "the credentials this user holds may have lost their force". The realtime app
re-checks the credentials of the user's open sockets when it hears one (`realtime.subscribers`).
"""

from __future__ import annotations

from typing import TypedDict

from studymate_api.cqrs import EventType

USER = "user"


class SignedOutPayload(TypedDict):
    user_id: int
    # The sign-in that ended (`accounts.tokens.SID_CLAIM`); None for a token minted before
    # sign-ins had ids.
    sid: str | None


class PasswordChangedPayload(TypedDict):
    user_id: int


class UserAccessChangedPayload(TypedDict):
    user_id: int
    is_active: bool
    is_staff: bool


SIGNED_OUT = EventType("SignedOut", aggregate=USER, payload=SignedOutPayload)
PASSWORD_CHANGED = EventType("PasswordChanged", aggregate=USER, payload=PasswordChangedPayload)
USER_ACCESS_CHANGED = EventType(
    "UserAccessChanged", aggregate=USER, payload=UserAccessChangedPayload
)

# Every event above: what a listener that only cares "re-check this user" subscribes to.
CREDENTIALS_EVENTS = (SIGNED_OUT, PASSWORD_CHANGED, USER_ACCESS_CHANGED)
