"""Event types of the accounts domain, as stored in the event store.

| event | aggregate | recorded by |
| --- | --- | --- |
| SignedOut | user:<id> | `tokens_revoke` (logout), `sign_in_revoke`, `sign_ins_end_all` (each) |
| PasswordChanged | user:<id> | `user_password_change` |
| UserAccessChanged | user:<id> | `user_access_changed` (admin: `is_active` or `is_staff` changed) |
| AccountDeletionRequested | user:<id> | `account_deletion_request` (the account is deactivated) |
| AccountErasureDue | user:<id> | `account_erasures_start` (beat: the deletion grace period ended) |
| DataExportReady | data_export:<id> | `services.export` (a learner's data export is ready) |

The first three each say "the credentials this user holds may have lost their force". The
realtime app re-checks the credentials of the user's open sockets when it hears one
(`realtime.subscribers`). DataExportReady: the notifications app tells the learner.
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


# --- data export --------------------------------------------------------------------------------

DATA_EXPORT = "data_export"


class DataExportReadyPayload(TypedDict):
    """The notifications app tells the learner (in-app and email): the link is signed and
    expires, so it may sit in the inbox and the event store."""

    user_id: int
    export_id: int
    download_url: str  # absolute when the export knows the site it was asked from
    expires_at: str  # ISO 8601


DATA_EXPORT_READY = EventType(
    "DataExportReady", aggregate=DATA_EXPORT, payload=DataExportReadyPayload
)


# --- deletion ----------------------------------------------------------------------------------


class AccountDeletionRequestedPayload(TypedDict):
    """The learner asked to delete their account: it is deactivated and signed out already
    (UserAccessChanged and SignedOut are recorded with this). Billing cancels the paid
    subscription at Stripe (`subscription.subscribers`)."""

    user_id: int
    deletion_id: int


class AccountErasureDuePayload(TypedDict):
    """The account's grace period is over: every app erases or anonymizes what it holds about
    the user, in its `subscribers` module (`<entity>_erase_for_user` services). Accounts erases
    its own rows and deletes the user row once every subscriber has had this event
    (`services.deletion.account_erasures_finish`), so a subscriber may still read the user."""

    user_id: int
    deletion_id: int


ACCOUNT_DELETION_REQUESTED = EventType(
    "AccountDeletionRequested", aggregate=USER, payload=AccountDeletionRequestedPayload
)
ACCOUNT_ERASURE_DUE = EventType(
    "AccountErasureDue", aggregate=USER, payload=AccountErasureDuePayload
)
