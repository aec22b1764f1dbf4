"""Signals other apps connect to; sent with `send_robust` after the transaction that caused
them commits.

`room_invitation(sender=StudyRoom, user, inviter, room, room_id, invite_code)`: a member of
`room` invited `user` (an active learner who is not a member yet) to join it. `invite_code` is
the room's code when the room is private (what lets the invitee in; they are the only one told
it), None for a public room anyone may join by its id. The notifications app tells the
invitee (in-app and push).
"""

from __future__ import annotations

from django.dispatch import Signal

room_invitation = Signal()
