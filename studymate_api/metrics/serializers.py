"""Input and output of the staff metrics API (outputs read the report dataclasses)."""

from __future__ import annotations

from typing import Any

from rest_framework import serializers


class BusinessQuerySerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField(
        min_value=1, max_value=365, default=30, help_text="Days in the report, ending today (UTC)."
    )


class ActiveUsersSerializer(serializers.Serializer[Any]):
    dau = serializers.IntegerField(help_text="Distinct active users today.")
    wau = serializers.IntegerField(help_text="Distinct active users in the last 7 days.")
    mau = serializers.IntegerField(help_text="Distinct active users in the last 30 days.")


class DayMetricsSerializer(serializers.Serializer[Any]):
    date = serializers.DateField()
    signups = serializers.IntegerField()
    active_users = serializers.IntegerField(help_text="Signed-in users with any tracked event.")
    events = serializers.IntegerField(help_text="Tracked events of every name.")
    events_per_active_user = serializers.FloatField(
        help_text="Engagement: events of signed-in users per active user."
    )
    event_counts = serializers.DictField(
        child=serializers.IntegerField(),
        help_text="Events by name, e.g. `summary_created`, `quiz_completed` (always present).",
    )


class AiProviderUsageSerializer(serializers.Serializer[Any]):
    provider = serializers.CharField()
    calls = serializers.IntegerField()
    failures = serializers.IntegerField()
    prompt_tokens = serializers.IntegerField()
    completion_tokens = serializers.IntegerField()
    total_tokens = serializers.IntegerField()
    cost_usd = serializers.DecimalField(max_digits=20, decimal_places=6)
    average_latency_ms = serializers.FloatField(allow_null=True)


class BusinessReportSerializer(serializers.Serializer[Any]):
    days = serializers.IntegerField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    active_users = ActiveUsersSerializer()
    signups_total = serializers.IntegerField()
    event_totals = serializers.DictField(child=serializers.IntegerField())
    daily = DayMetricsSerializer(many=True)
    ai_usage = AiProviderUsageSerializer(many=True, help_text="AI calls per provider.")
    revenue = serializers.DecimalField(
        max_digits=20, decimal_places=2, allow_null=True, help_text="null until billing exists."
    )


class ProcessStatsSerializer(serializers.Serializer[Any]):
    pid = serializers.IntegerField()
    cpu_percent = serializers.FloatField(help_text="Since the previous report in this process.")
    memory_rss_bytes = serializers.IntegerField()
    memory_percent = serializers.FloatField()
    threads = serializers.IntegerField()
    uptime_seconds = serializers.FloatField()


class ProbeSerializer(serializers.Serializer[Any]):
    backend = serializers.CharField()
    reachable = serializers.BooleanField()
    latency_ms = serializers.FloatField(allow_null=True)


class CeleryStatsSerializer(serializers.Serializer[Any]):
    broker_configured = serializers.BooleanField()
    eager = serializers.BooleanField()
    queue = serializers.CharField()
    queue_length = serializers.IntegerField(
        allow_null=True, help_text="null without a broker or when it cannot be reached."
    )


class BufferStatsSerializer(serializers.Serializer[Any]):
    backend = serializers.ChoiceField(choices=["redis", "memory"])
    reachable = serializers.BooleanField()
    size = serializers.IntegerField(allow_null=True, help_text="Events waiting for the flush.")
    pending_batches = serializers.IntegerField(allow_null=True)


class SystemReportSerializer(serializers.Serializer[Any]):
    generated_at = serializers.DateTimeField()
    process = ProcessStatsSerializer()
    database = ProbeSerializer()
    cache = ProbeSerializer()
    celery = CeleryStatsSerializer()
    event_buffer = BufferStatsSerializer()
