"""Admin for the platform's own records; they are written by code only, so read-only here."""

from __future__ import annotations

from django.contrib import admin
from django.http import HttpRequest

from .models import AIUsage, IdempotencyKey


@admin.register(AIUsage)
class AIUsageAdmin(admin.ModelAdmin[AIUsage]):
    list_display = (
        "created_at",
        "user",
        "task",
        "provider",
        "model",
        "outcome",
        "prompt_tokens",
        "completion_tokens",
        "cost_usd",
        "latency_ms",
    )
    list_filter = ("outcome", "provider", "task", "created_at")
    search_fields = ("user__email", "model", "request_id")
    date_hierarchy = "created_at"
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: AIUsage | None = None) -> bool:
        return False


@admin.register(IdempotencyKey)
class IdempotencyKeyAdmin(admin.ModelAdmin[IdempotencyKey]):
    list_display = ("created_at", "user", "method", "path", "key", "response_status")
    list_filter = ("method", "response_status", "created_at")
    search_fields = ("user__email", "key", "path")
    date_hierarchy = "created_at"
    list_select_related = ("user",)

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(
        self, request: HttpRequest, obj: IdempotencyKey | None = None
    ) -> bool:
        return False
