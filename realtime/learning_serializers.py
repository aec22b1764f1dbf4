"""Input and output serializers of the learning session endpoints."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers

from studymate_api.core.serializers import StrictInputSerializer

from .models import LearningSession
from .session_state import LearningSessionState

MAX_GOAL_MINUTES = 1440


class StartSessionInputSerializer(StrictInputSerializer):
    subject_id = serializers.IntegerField(min_value=1)
    goal_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_GOAL_MINUTES, required=False, allow_null=True
    )


class SessionIdInputSerializer(StrictInputSerializer):
    session_id = serializers.UUIDField()


class StartSessionOutputSerializer(serializers.Serializer[Any]):
    session_id = serializers.UUIDField(source="pk")
    subject_id = serializers.IntegerField()
    goal_minutes = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField()
    websocket_url = serializers.SerializerMethodField()

    def get_websocket_url(self, session: LearningSession) -> str:
        request = self.context["request"]
        scheme = "wss" if request.is_secure() else "ws"
        return f"{scheme}://{request.get_host()}/ws/learning/analytics/"


class MetricsOutputSerializer(serializers.Serializer[Any]):
    focus_score = serializers.FloatField()
    pace = serializers.FloatField()
    pace_ratio = serializers.FloatField(allow_null=True)
    efficiency = serializers.FloatField()
    interruptions = serializers.IntegerField()
    elapsed_minutes = serializers.FloatField()
    focused_minutes = serializers.FloatField()
    answers = serializers.IntegerField()
    correct_answers = serializers.IntegerField()
    notes = serializers.IntegerField()
    attention = serializers.ChoiceField(choices=["focused", "blurred", "idle"])


class FeedbackOutputSerializer(serializers.Serializer[Any]):
    rule = serializers.CharField()
    message = serializers.CharField()
    at = serializers.FloatField(help_text="Epoch seconds.")


class SessionReportOutputSerializer(serializers.Serializer[Any]):
    session_id = serializers.UUIDField(source="pk")
    subject_id = serializers.IntegerField()
    status = serializers.CharField()
    end_reason = serializers.CharField(allow_null=True)
    started_at = serializers.DateTimeField()
    ended_at = serializers.DateTimeField(allow_null=True)
    duration_minutes = serializers.FloatField()
    focus_score = serializers.FloatField()
    pace = serializers.FloatField()
    efficiency = serializers.FloatField()
    interruptions = serializers.IntegerField()
    answers = serializers.IntegerField()
    correct_answers = serializers.IntegerField()
    notes = serializers.IntegerField()
    minutes_logged = serializers.IntegerField()
    feedback = FeedbackOutputSerializer(many=True)

    def to_representation(self, instance: LearningSession) -> dict[str, Any]:
        data = super().to_representation(instance)
        data["end_reason"] = data["end_reason"] or None
        return data


def session_status(session: LearningSession, state: LearningSessionState | None) -> dict[str, Any]:
    """A session as `session_status/` and `active_sessions/` show it: live figures while it is
    active, the report once it ended."""
    base: dict[str, Any] = {
        "session_id": str(session.pk),
        "subject_id": session.subject_id,
        "subject_name": session.subject.name,
        "status": session.status,
        "goal_minutes": session.goal_minutes,
        "started_at": serializers.DateTimeField().to_representation(session.started_at),
    }
    if state is None:
        base.update(live=None, report=SessionReportOutputSerializer(session).data)
        return base
    base["live"] = {
        "metrics": MetricsOutputSerializer(state.metrics.as_dict()).data,
        "feedback": state.analysis.feedback,
        "last_activity_at": state.analysis.last_activity_at,
        "last_heartbeat_at": state.last_heartbeat_at,
        "events": state.analysis.events,
    }
    base["report"] = None
    return base


class SessionStatusOutputSerializer(serializers.Serializer[Any]):
    """For the schema: what `session_status` returns."""

    session_id = serializers.UUIDField()
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "ended"])
    goal_minutes = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField()
    live = serializers.DictField(allow_null=True)
    report = SessionReportOutputSerializer(allow_null=True)
