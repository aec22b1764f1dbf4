from __future__ import annotations

from typing import TYPE_CHECKING, Any

from rest_framework.permissions import BasePermission
from rest_framework.request import Request

from .errors import NotFound

if TYPE_CHECKING:
    from rest_framework.views import APIView


class IsStaff(BasePermission):
    """Staff-only endpoints (operators' views); learners get 403 permission_denied."""

    def has_permission(self, request: Request, view: APIView) -> bool:
        return bool(request.user and request.user.is_authenticated and request.user.is_staff)


class IsOwner(BasePermission):
    """Object-level guard for views that fetch by id; selectors already scope to the owner,
    this is the second lock on the door. The owner field is named by the view (`owner_field`).

    Someone else's object answers 404, never 403: a 403 would confirm that it exists."""

    def has_object_permission(self, request: Request, view: APIView, obj: Any) -> bool:
        owner_field = getattr(view, "owner_field", "user")
        if getattr(obj, f"{owner_field}_id", None) != request.user.pk:
            raise NotFound()
        return True
