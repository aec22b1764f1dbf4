"""Read-only admin for the event store: events are facts, deliveries are bookkeeping."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.http import HttpRequest

from studymate_api.core.models import DomainEvent, EventDelivery


class _ReadOnlyAdmin(admin.ModelAdmin[Any]):
    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False


@admin.register(DomainEvent)
class DomainEventAdmin(_ReadOnlyAdmin):
    list_display = (
        "id",
        "aggregate_type",
        "aggregate_id",
        "sequence",
        "event_type",
        "occurred_at",
        "published_at",
        "attempts",
    )
    list_filter = ("aggregate_type", "event_type", ("published_at", admin.EmptyFieldListFilter))
    search_fields = ("=aggregate_id", "event_type")
    date_hierarchy = "occurred_at"
    list_select_related = ()
    raw_id_fields = ("user",)


@admin.register(EventDelivery)
class EventDeliveryAdmin(_ReadOnlyAdmin):
    list_display = ("id", "event", "subscriber", "delivered_at")
    list_filter = ("subscriber",)
    search_fields = ("=event__id",)
    list_select_related = ("event",)
    raw_id_fields = ("event",)
