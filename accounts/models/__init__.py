from __future__ import annotations

from typing import Any, ClassVar

from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils.translation import gettext_lazy as _


class Language(models.TextChoices):
    KOREAN = "ko", _("Korean")
    ENGLISH = "en", _("English")


class EmailUserManager(UserManager["User"]):
    """Email is the login; it is stored lower-cased so lookups and uniqueness ignore case."""

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return (email or "").strip().lower()

    def get_by_natural_key(self, username: str | None) -> User:
        return self.get(email__iexact=self.normalize_email(username))

    def create_user(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("username", self.normalize_email(email).split("@")[0])
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_with_profile(email, password, **extra_fields)

    def create_superuser(  # type: ignore[override]
        self, email: str, password: str | None = None, **extra_fields: Any
    ) -> User:
        extra_fields.setdefault("username", self.normalize_email(email).split("@")[0])
        extra_fields["is_staff"] = True
        extra_fields["is_superuser"] = True
        return self._create_with_profile(email, password, **extra_fields)

    def _create_with_profile(self, email: str, password: str | None, **fields: Any) -> User:
        user = self.model(email=self.normalize_email(email), **fields)
        user.set_password(password)
        user.save(using=self._db)
        UserProfile.objects.get_or_create(user=user)
        return user


class User(AbstractUser):
    email = models.EmailField(_("email address"), unique=True)
    email_verified = models.BooleanField(_("email verified"), default=False)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS: ClassVar[list[str]] = ["username"]

    objects: ClassVar[EmailUserManager] = EmailUserManager()

    def __str__(self) -> str:
        return self.email


class UserProfile(models.Model):
    user = models.OneToOneField(User, on_delete=models.CASCADE, related_name="profile")
    bio = models.TextField(_("bio"), blank=True, max_length=2000)
    grade_level = models.CharField(_("grade level"), blank=True, max_length=50)
    timezone = models.CharField(_("time zone"), default="Asia/Seoul", max_length=64)
    preferred_language = models.CharField(
        _("preferred language"), choices=Language.choices, default=Language.KOREAN, max_length=8
    )
    learning_goals = models.JSONField(_("learning goals"), default=list, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"profile of {self.user_id}"


class LoginHistory(models.Model):
    """One row per login attempt; attempts for unknown emails keep the email without a user."""

    user = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.CASCADE, related_name="login_history"
    )
    email = models.CharField(_("email tried"), max_length=254, blank=True)
    ip_address = models.GenericIPAddressField(_("IP address"), null=True, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=512, blank=True)
    success = models.BooleanField(_("success"))
    failure_reason = models.CharField(_("failure reason"), max_length=32, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ("-created_at", "-id")
        indexes = [models.Index(fields=["user", "-created_at"], name="loginhistory_user_time")]
        verbose_name_plural = _("login history")

    def __str__(self) -> str:
        outcome = "success" if self.success else "failure"
        return f"{self.email} {outcome} at {self.created_at:%Y-%m-%d %H:%M}"


# The models of the account lifecycle live in submodules; importing them registers them.
from . import codes, lifecycle, sessions  # noqa: E402, F401
