from __future__ import annotations

import zoneinfo
from typing import Any

from django.contrib.auth.validators import UnicodeUsernameValidator
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers

from studymate_api.core.serializers import StrictInputSerializer

from .models import Language, LoginHistory, User, UserProfile
from .models.sessions import SignIn


def _username_field(*, required: bool = True) -> serializers.CharField:
    return serializers.CharField(
        max_length=150, validators=[UnicodeUsernameValidator()], required=required
    )


# --- input ------------------------------------------------------------------------------------


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "New learner",
            value={
                "email": "minji.kim@example.com",
                "password": "solar-Orbit-42!",
                "username": "minji_kim",
                "first_name": "민지",
                "last_name": "김",
            },
            request_only=True,
        )
    ]
)
class RegisterInputSerializer(StrictInputSerializer):
    email = serializers.EmailField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    username = _username_field()
    first_name = serializers.CharField(max_length=150, required=False, allow_blank=True)
    last_name = serializers.CharField(max_length=150, required=False, allow_blank=True)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Email and password",
            value={"email": "minji.kim@example.com", "password": "solar-Orbit-42!"},
            request_only=True,
        )
    ]
)
class LoginInputSerializer(StrictInputSerializer):
    email = serializers.CharField(max_length=254)
    password = serializers.CharField(max_length=128, trim_whitespace=False, write_only=True)
    unlock_code = serializers.CharField(
        max_length=16,
        required=False,
        write_only=True,
        help_text=_(
            "The code mailed to the account's address when a login answered `account_locked` "
            "with `unlock_required`: with the right password it lifts the lock."
        ),
    )


class RefreshInputSerializer(StrictInputSerializer):
    refresh = serializers.CharField(max_length=2048)


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "New password",
            value={"old_password": "solar-Orbit-42!", "new_password": "quiet-Harbor-77?"},
            request_only=True,
        )
    ]
)
class PasswordChangeInputSerializer(StrictInputSerializer):
    old_password = serializers.CharField(max_length=128, trim_whitespace=False)
    new_password = serializers.CharField(max_length=128, trim_whitespace=False)


def _validate_timezone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise serializers.ValidationError(_("Unknown time zone; use an IANA name like Asia/Seoul."))


class ProfileFieldsInputSerializer(StrictInputSerializer):
    bio = serializers.CharField(max_length=2000, allow_blank=True, required=False)
    grade_level = serializers.CharField(max_length=50, allow_blank=True, required=False)
    timezone = serializers.CharField(max_length=64, required=False, validators=[_validate_timezone])
    preferred_language = serializers.ChoiceField(choices=Language.choices, required=False)
    learning_goals = serializers.ListField(
        child=serializers.CharField(max_length=200), max_length=20, required=False
    )


@extend_schema_serializer(
    examples=[
        OpenApiExample(
            "Learner profile",
            value={
                "first_name": "민지",
                "profile": {
                    "bio": "수능 수학을 준비하는 고등학생입니다.",
                    "grade_level": "고등학교 2학년",
                    "timezone": "Asia/Seoul",
                    "preferred_language": "ko",
                    "learning_goals": ["수능 수학 1등급", "영어 독해 속도 올리기"],
                },
            },
            request_only=True,
        )
    ]
)
class ProfileUpdateInputSerializer(StrictInputSerializer):
    username = _username_field(required=False)
    first_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    last_name = serializers.CharField(max_length=150, allow_blank=True, required=False)
    profile = ProfileFieldsInputSerializer(required=False)


# --- output -----------------------------------------------------------------------------------


class ProfileOutputSerializer(serializers.ModelSerializer[UserProfile]):
    learning_goals = serializers.ListField(child=serializers.CharField())

    class Meta:
        model = UserProfile
        fields = ("bio", "grade_level", "timezone", "preferred_language", "learning_goals")


class UserOutputSerializer(serializers.ModelSerializer[User]):
    profile = ProfileOutputSerializer()

    class Meta:
        model = User
        fields = (
            "id",
            "email",
            "username",
            "first_name",
            "last_name",
            "email_verified",
            "date_joined",
            "profile",
        )


class TokenPairOutputSerializer(serializers.Serializer[Any]):
    access = serializers.CharField()
    refresh = serializers.CharField()


class AuthOutputSerializer(TokenPairOutputSerializer):
    user = UserOutputSerializer()


class LoginHistoryOutputSerializer(serializers.ModelSerializer[LoginHistory]):
    class Meta:
        model = LoginHistory
        fields = ("ip_address", "user_agent", "success", "created_at")


class SignInOutputSerializer(serializers.ModelSerializer[SignIn]):
    """A sign-in; `current` is the one the request's access token belongs to (the view passes
    its sign-in id as `current_sid` in the context)."""

    current = serializers.SerializerMethodField()

    class Meta:
        model = SignIn
        fields = ("id", "device", "ip_address", "created_at", "last_used_at", "current")
        read_only_fields = fields

    def get_current(self, sign_in: SignIn) -> bool:
        return bool(sign_in.sid and sign_in.sid == self.context.get("current_sid"))


class SignInsRevokedOutputSerializer(serializers.Serializer[Any]):
    revoked = serializers.IntegerField(help_text=_("How many sign-ins ended."))
