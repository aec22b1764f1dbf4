"""Erasing a learner's realtime data when their account is erased (accounts'
AccountErasureDue, `realtime.subscribers`)."""

from __future__ import annotations

from django.db import transaction

from ..models.rooms import RoomMembership, RoomMessage, StudyRoom
from ..models.sessions import LearningSession


@transaction.atomic
def realtime_erase_for_user(*, user_id: int) -> None:
    """Deletes the learner's learning sessions, their memberships, their chat messages in other
    learners' rooms, and the rooms they own, with those rooms' messages (as deleting a room
    does: a room lives as long as its owner). Messages are deleted, not anonymized: a chat line
    can name its author in its text. Running it again finds nothing."""
    LearningSession.objects.filter(user_id=user_id).delete()
    RoomMessage.objects.filter(author_id=user_id).delete()
    RoomMembership.objects.filter(user_id=user_id).delete()
    StudyRoom.objects.filter(owner_id=user_id).delete()
