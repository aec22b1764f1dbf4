"""Input and output serializers of the notifications API."""

from __future__ import annotations

from typing import Any

import phonenumbers
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from studymate_api.core.serializers import StrictInputSerializer

from .kinds import Channel, Kind
from .models import Device, Notification, NotificationPreference, Platform


class NotificationOutputSerializer(serializers.ModelSerializer[Notification]):
    class Meta:
        model = Notification
        fields = ("id", "kind", "title", "body", "data", "read_at", "created_at")
        read_only_fields = fields


class NotificationListQuerySerializer(StrictInputSerializer):
    unread = serializers.BooleanField(required=False, allow_null=True, default=None)
    page = serializers.IntegerField(required=False, min_value=1)
    page_size = serializers.IntegerField(required=False, min_value=1, max_value=100)


class UnreadCountOutputSerializer(serializers.Serializer[Any]):
    unread_count = serializers.IntegerField()


class ReadAllOutputSerializer(serializers.Serializer[Any]):
    marked_read = serializers.IntegerField()


def validate_types(value: Any) -> None:
    """`{kind: false}` or `{kind: {channel: bool}}`, with known kinds and channels only."""
    if not isinstance(value, dict):
        raise serializers.ValidationError(_("Expected an object of kinds."))
    errors: list[str] = []
    for kind, override in value.items():
        if kind not in Kind.values:
            errors.append(str(_("Unknown notification kind: %(kind)s.") % {"kind": kind}))
        elif isinstance(override, bool):
            continue
        elif not isinstance(override, dict) or not override:
            errors.append(
                str(_("%(kind)s: give true/false or {channel: true/false}.") % {"kind": kind})
            )
        else:
            errors += _channel_errors(kind, override)
    if errors:
        raise serializers.ValidationError(errors)


def _channel_errors(kind: str, override: dict[str, Any]) -> list[str]:
    errors = []
    for channel, enabled in override.items():
        if channel not in Channel.values:
            errors.append(
                str(
                    _("%(kind)s: unknown channel %(channel)s.") % {"kind": kind, "channel": channel}
                )
            )
        elif not isinstance(enabled, bool):
            errors.append(
                str(
                    _("%(kind)s.%(channel)s must be true or false.")
                    % {"kind": kind, "channel": channel}
                )
            )
    return errors


def normalized_phone_number(value: str) -> str:
    """E.164 (`+821012345678`): a number with its country code, valid for that country."""
    if not value:
        return ""
    try:
        number = phonenumbers.parse(value, None)
    except phonenumbers.NumberParseException:
        raise serializers.ValidationError(
            _("Enter the number in international format, like +821012345678.")
        ) from None
    if not phonenumbers.is_valid_number(number):
        raise serializers.ValidationError(_("This is not a valid phone number."))
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


# PUT replaces what it names; fields left out keep their values.
@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Quiet nights, fewer emails",
            value={
                "push_enabled": True,
                "sms_enabled": True,
                "phone_number": "+821012345678",
                "quiet_hours_start": "23:00:00",
                "quiet_hours_end": "07:00:00",
                "types": {"weekly_digest": False, "quiz_graded": {"email": False}},
            },
            request_only=True,
        ),
        OpenApiExample(
            "No quiet hours",
            value={"quiet_hours_start": None, "quiet_hours_end": None},
            request_only=True,
        ),
    ]
)
class PreferenceInputSerializer(StrictInputSerializer):
    in_app_enabled = serializers.BooleanField(required=False)
    email_enabled = serializers.BooleanField(required=False)
    push_enabled = serializers.BooleanField(required=False)
    sms_enabled = serializers.BooleanField(required=False)
    quiet_hours_start = serializers.TimeField(required=False, allow_null=True)
    quiet_hours_end = serializers.TimeField(required=False, allow_null=True)
    types = serializers.JSONField(required=False, validators=[validate_types])
    phone_number = serializers.CharField(required=False, allow_blank=True, max_length=32)

    def validate_phone_number(self, value: str) -> str:
        return normalized_phone_number(value.strip())

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if ("quiet_hours_start" in attrs) != ("quiet_hours_end" in attrs):
            message = _("Set quiet_hours_start and quiet_hours_end together.")
            raise serializers.ValidationError({"quiet_hours_end": [message]})
        if (attrs.get("quiet_hours_start") is None) != (attrs.get("quiet_hours_end") is None):
            message = _("Both times, or both null for no quiet hours.")
            raise serializers.ValidationError({"quiet_hours_end": [message]})
        return attrs


class PreferenceOutputSerializer(serializers.ModelSerializer[NotificationPreference]):
    class Meta:
        model = NotificationPreference
        fields = (
            "email_enabled",
            "push_enabled",
            "sms_enabled",
            "in_app_enabled",
            "quiet_hours_start",
            "quiet_hours_end",
            "types",
            "phone_number",
        )
        read_only_fields = fields


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Android app install",
            value={
                "token": "dQw4w9WgXcQ:APA91bH8k2Jx7vR5tL0pZ3nYc6mE1sA9uQ4wT8yK2oB5fD7gH0jL3zX",
                "platform": "android",
            },
            request_only=True,
        )
    ]
)
class DeviceInputSerializer(StrictInputSerializer):
    token = serializers.CharField(max_length=512, trim_whitespace=True)
    platform = serializers.ChoiceField(choices=Platform.choices)


class DeviceDeleteInputSerializer(StrictInputSerializer):
    token = serializers.CharField(max_length=512, trim_whitespace=True)


class DeviceOutputSerializer(serializers.ModelSerializer[Device]):
    class Meta:
        model = Device
        fields = ("id", "token", "platform", "active", "last_seen", "created_at")
        read_only_fields = fields


class UnsubscribeOutputSerializer(serializers.Serializer[dict[str, Any]]):
    # A plain string: another `kind` enum in the schema would collide with the inbox's.
    kind = serializers.CharField(
        help_text="The kind of email the link is for: goal_reminder, streak_at_risk, "
        "weekly_digest or announcement."
    )
    email_enabled = serializers.BooleanField(
        help_text="Whether email of this kind is on for the account (after a POST: false)."
    )
