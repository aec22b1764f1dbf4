"""Every read of the accounts domain."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import LoginHistory, User


def user_find_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first()


def user_get_with_profile(*, user_id: int) -> User:
    return User.objects.select_related("profile").get(pk=user_id)


def login_history_list(*, user: User) -> QuerySet[LoginHistory]:
    return LoginHistory.objects.filter(user=user).order_by("-created_at", "-id")
