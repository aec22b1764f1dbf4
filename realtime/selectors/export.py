"""The realtime section of a learner's data export (`accounts.data_export`)."""

from __future__ import annotations

from typing import Any

from django.db.models import F

from ..models import LearningSession, RoomMembership, RoomMessage, StudyRoom


def realtime_export_for_user(user_id: int) -> dict[str, list[Any]]:
    """The learner's live learning sessions with their reports, the study rooms they own (with
    their invite codes: theirs to share), the rooms they belong to and the chat messages they
    wrote. Other members' messages are theirs, not in this export. One query per table."""
    return {
        "learning_sessions": list(
            LearningSession.objects.filter(user_id=user_id)
            .order_by("started_at")
            .values(
                "id",
                "subject_id",
                "goal_minutes",
                "status",
                "end_reason",
                "started_at",
                "ended_at",
                "duration_minutes",
                "focus_score",
                "pace",
                "efficiency",
                "interruptions",
                "answers",
                "correct_answers",
                "notes",
                "events",
                "feedback",
                "minutes_logged",
                subject_name=F("subject__name"),
            )
        ),
        "rooms_owned": list(
            StudyRoom.objects.filter(owner_id=user_id)
            .order_by("created_at", "id")
            .values(
                "id", "name", "subject_id", "is_public", "invite_code", "capacity", "created_at"
            )
        ),
        "room_memberships": list(
            RoomMembership.objects.filter(user_id=user_id)
            .order_by("joined_at", "id")
            .values("room_id", "joined_at", room_name=F("room__name"))
        ),
        "room_messages": list(
            RoomMessage.objects.filter(author_id=user_id)
            .order_by("created_at", "id")
            .values("id", "room_id", "body", "created_at", room_name=F("room__name"))
        ),
    }
