"""Events of the realtime domain, as stored in the event store. Other apps subscribe to these
objects (never to the names as strings).

- RoomInvitation (study_room:<room id>): `room_invite`, when a member invited an active learner
  who is not a member yet.

`invite_code` is the room's code when the room is private (what lets the invitee in; they are
the only one told it), None for a public room anyone may join by its id.
"""

from __future__ import annotations

from typing import TypedDict

from studymate_api.cqrs import EventType

STUDY_ROOM = "study_room"


class RoomInvitationPayload(TypedDict):
    user_id: int  # the invitee
    inviter_id: int
    # How the invitee knows the inviter: their first name, else their username (never email).
    inviter: str
    room_id: int
    room_name: str
    invite_code: str | None


ROOM_INVITATION = EventType("RoomInvitation", aggregate=STUDY_ROOM, payload=RoomInvitationPayload)
