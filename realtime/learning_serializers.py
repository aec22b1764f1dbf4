"""Input and output serializers of the learning session endpoints."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from studymate_api.core.serializers import StrictInputSerializer

from .models import LearningSession
from .session_state import LearningSessionState

MAX_GOAL_MINUTES = 1440


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Fifty-minute session",
            value={"subject_id": 12, "goal_minutes": 50},
            request_only=True,
        )
    ]
)
class StartSessionInputSerializer(StrictInputSerializer):
    read_names = {"subject_id": "subject"}

    subject_id = serializers.IntegerField(min_value=1)
    goal_minutes = serializers.IntegerField(
        min_value=1, max_value=MAX_GOAL_MINUTES, required=False, allow_null=True
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "A session",
            value={"session_id": "6f1c2d3e-8a4b-4c5d-9e6f-0a1b2c3d4e5f"},
            request_only=True,
        )
    ]
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


# Documents what `session_status` returns.
class SessionStatusOutputSerializer(serializers.Serializer[Any]):
    session_id = serializers.UUIDField()
    subject_id = serializers.IntegerField()
    subject_name = serializers.CharField()
    status = serializers.ChoiceField(choices=["active", "ended"])
    goal_minutes = serializers.IntegerField(allow_null=True)
    started_at = serializers.DateTimeField()
    live = serializers.DictField(allow_null=True)
    report = SessionReportOutputSerializer(allow_null=True)


# The dashboard and the operators' stream views answer plain dicts; these document them.
class DashboardTotalsOutputSerializer(serializers.Serializer[Any]):
    sessions = serializers.IntegerField()
    minutes = serializers.FloatField()
    average_focus_score = serializers.FloatField(allow_null=True)
    average_efficiency = serializers.FloatField(allow_null=True)


class LearnerHabitsOutputSerializer(serializers.Serializer[Any]):
    usual_session_minutes = serializers.FloatField()
    baseline_pace = serializers.FloatField(
        allow_null=True, help_text="Answers and notes per minute in earlier sessions."
    )


class DashboardOutputSerializer(serializers.Serializer[Any]):
    active_sessions = SessionStatusOutputSerializer(many=True)
    recent_sessions = SessionReportOutputSerializer(many=True)
    totals = DashboardTotalsOutputSerializer(help_text="Ended sessions of the last 7 days.")
    profile = LearnerHabitsOutputSerializer()


class StreamConsumerOutputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    pending = serializers.IntegerField()
    idle_ms = serializers.IntegerField()


class StreamGroupOutputSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    lag = serializers.IntegerField(help_text="Entries not yet handed to any consumer.")
    pending = serializers.IntegerField(help_text="Handed out, not yet acknowledged.")
    dead_letters = serializers.IntegerField()
    throughput = serializers.FloatField(help_text="Messages per second over the last minute.")
    last_delivered_id = serializers.CharField()
    consumers = StreamConsumerOutputSerializer(many=True)


class StreamingStatusOutputSerializer(serializers.Serializer[Any]):
    stream = serializers.CharField()
    backend = serializers.CharField()
    length = serializers.IntegerField()
    dead_letters = serializers.IntegerField()
    groups = StreamGroupOutputSerializer(many=True)
    partitions = serializers.IntegerField(
        help_text="Redis streams the activity stream is split into by learner; the figures "
        "above are their sums."
    )
    analyzer_group = serializers.CharField()
    analyzer_in_process = serializers.BooleanField()


class StreamingMetricsOutputSerializer(serializers.Serializer[Any]):
    stream = serializers.CharField()
    backend = serializers.CharField()
    events_per_second = serializers.FloatField()
    lag = serializers.IntegerField()
    pending = serializers.IntegerField()
    dead_letters = serializers.IntegerField()
    consumers = serializers.IntegerField()
    active_sessions = serializers.IntegerField()
    sessions_ended_24h = serializers.IntegerField()
    average_focus_score_24h = serializers.FloatField(allow_null=True)
