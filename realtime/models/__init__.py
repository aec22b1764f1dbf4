"""The realtime domain's tables: learning sessions and study rooms."""

from .rooms import RoomMembership, RoomMessage, StudyRoom
from .sessions import EndReason, LearningSession, SessionStatus

__all__ = [
    "EndReason",
    "LearningSession",
    "RoomMembership",
    "RoomMessage",
    "SessionStatus",
    "StudyRoom",
]
