"""Admin: templates with a rendered preview, batches with start/cancel, read-only delivery log."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404
from django.template import TemplateSyntaxError
from django.template.response import TemplateResponse
from django.urls import URLPattern, path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .kinds import SAMPLE_CONTEXT
from .models import (
    DeliveryAttempt,
    Device,
    Notification,
    NotificationBatch,
    NotificationPreference,
    NotificationTemplate,
)
from .rendering import render
from .services import batch_cancel


@admin.register(NotificationTemplate)
class NotificationTemplateAdmin(admin.ModelAdmin[NotificationTemplate]):
    list_display = ("kind", "language", "subject", "updated_at", "preview_link")
    list_filter = ("kind", "language")
    search_fields = ("subject", "text_body")
    actions = ("preview_selected",)

    def get_urls(self) -> list[URLPattern]:
        preview = self.admin_site.admin_view(self.preview_view)
        name = "notifications_notificationtemplate_preview"
        return [path("<int:template_id>/preview/", preview, name=name), *super().get_urls()]

    @admin.display(description=_("preview"))
    def preview_link(self, obj: NotificationTemplate) -> str:
        url = reverse("admin:notifications_notificationtemplate_preview", args=[obj.pk])
        return format_html('<a href="{}">{}</a>', url, _("Preview"))

    @admin.action(description=_("Preview the selected template"))
    def preview_selected(
        self, request: HttpRequest, queryset: QuerySet[NotificationTemplate]
    ) -> HttpResponse | None:
        first = queryset.first()
        if first is None:
            return None
        url = reverse("admin:notifications_notificationtemplate_preview", args=[first.pk])
        return HttpResponseRedirect(url)

    def preview_view(self, request: HttpRequest, template_id: int) -> HttpResponse:
        template = get_object_or_404(NotificationTemplate, pk=template_id)
        sample = SAMPLE_CONTEXT.get(template.kind, {})
        context: dict[str, Any] = {
            **self.admin_site.each_context(request),
            "template": template,
            "sample": json.dumps(sample, ensure_ascii=False),
            "change_url": reverse(
                "admin:notifications_notificationtemplate_change", args=[template.pk]
            ),
            "title": _("Template preview"),
        }
        try:
            context["rendered"] = render(template, sample)
        except TemplateSyntaxError as exc:
            context["error"] = str(exc)
        return TemplateResponse(request, "notifications/template_preview.html", context)


@admin.register(NotificationBatch)
class NotificationBatchAdmin(admin.ModelAdmin[NotificationBatch]):
    list_display = (
        "kind",
        "segment",
        "scheduled_at",
        "status",
        "targeted",
        "sent",
        "skipped",
        "failed",
    )
    list_filter = ("status", "kind", "segment")
    raw_id_fields = ("subject", "created_by")
    readonly_fields = (
        "status",
        "targeted",
        "sent",
        "skipped",
        "failed",
        "cursor",
        "started_at",
        "finished_at",
        "cancelled_at",
        "created_by",
    )
    actions = ("cancel_selected",)

    def save_model(
        self, request: HttpRequest, obj: NotificationBatch, form: Any, change: bool
    ) -> None:
        if not change:
            obj.created_by = request.user  # type: ignore[assignment]
        super().save_model(request, obj, form, change)

    @admin.action(description=_("Cancel the selected batches"))
    def cancel_selected(self, request: HttpRequest, queryset: QuerySet[NotificationBatch]) -> None:
        cancelled = sum(batch_cancel(batch_id=batch.pk) for batch in queryset)
        self.message_user(request, _("%(n)d cancelled.") % {"n": cancelled}, messages.SUCCESS)


@admin.register(Notification)
class NotificationAdmin(admin.ModelAdmin[Notification]):
    list_display = ("kind", "user", "title", "read_at", "created_at")
    list_filter = ("kind",)
    search_fields = ("user__email", "title", "dedup_key")
    raw_id_fields = ("user",)
    list_select_related = ("user",)


@admin.register(DeliveryAttempt)
class DeliveryAttemptAdmin(admin.ModelAdmin[DeliveryAttempt]):
    list_display = ("notification", "channel", "status", "attempts", "scheduled_for", "sent_at")
    list_filter = ("channel", "status")
    raw_id_fields = ("notification",)
    readonly_fields = ("claimed_at", "sent_at", "detail", "last_error", "attempts")


@admin.register(NotificationPreference)
class NotificationPreferenceAdmin(admin.ModelAdmin[NotificationPreference]):
    list_display = ("user", "email_enabled", "push_enabled", "sms_enabled", "in_app_enabled")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)


@admin.register(Device)
class DeviceAdmin(admin.ModelAdmin[Device]):
    list_display = ("user", "platform", "active", "last_seen")
    list_filter = ("platform", "active")
    search_fields = ("user__email",)
    raw_id_fields = ("user",)
