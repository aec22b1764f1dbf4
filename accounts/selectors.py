"""Every read of the accounts domain."""

from __future__ import annotations

from django.db.models import QuerySet

from .models import LoginHistory, User


def user_find_by_email(email: str) -> User | None:
    return User.objects.filter(email__iexact=email).first()


def user_email_taken(email: str) -> bool:
    return User.objects.filter(email__iexact=email).exists()


def username_taken(username: str, *, exclude: User | None = None) -> bool:
    users = User.objects.filter(username__iexact=username)
    if exclude is not None:
        users = users.exclude(pk=exclude.pk)
    return users.exists()


def user_get_active(*, user_id: str | int) -> User | None:
    return User.objects.filter(pk=user_id, is_active=True).first()


def user_get_with_profile(*, user_id: int) -> User:
    return User.objects.select_related("profile").get(pk=user_id)


def login_history_list(*, user: User) -> QuerySet[LoginHistory]:
    return LoginHistory.objects.filter(user=user).order_by("-created_at", "-id")
