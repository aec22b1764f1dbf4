"""OpenAPI generation: every operation documents the error envelope for the errors it can give."""

from __future__ import annotations

from typing import Any

from drf_spectacular.openapi import AutoSchema
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated


class ErrorDetailSerializer(serializers.Serializer[Any]):
    code = serializers.CharField(help_text="Stable snake_case error code, e.g. `not_found`.")
    message = serializers.CharField(help_text="Human-readable text in the request's language.")
    # DRF's metaclass moves declared fields out of the class, so `fields` stays a property.
    fields = serializers.DictField(  # type: ignore[assignment]
        child=serializers.ListField(child=serializers.CharField()),
        required=False,
        help_text="Only for `validation_error`: field name to its messages.",
    )


class ErrorEnvelopeSerializer(serializers.Serializer[Any]):
    error = ErrorDetailSerializer()


_WRITE_METHODS = {"POST", "PUT", "PATCH"}


class EnvelopeAutoSchema(AutoSchema):
    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        if direction != "response":
            return bodies
        for status, description in self._possible_errors():
            if str(status) not in bodies:
                bodies[str(status)] = self._get_response_for_code(  # type: ignore[no-untyped-call]
                    OpenApiResponse(ErrorEnvelopeSerializer, description=description), str(status)
                )
        return bodies

    def _possible_errors(self) -> list[tuple[int, str]]:
        errors: list[tuple[int, str]] = []
        if self.method in _WRITE_METHODS:
            errors.append((400, "`validation_error` or `parse_error`"))
        if self._requires_authentication():
            errors.append((401, "`not_authenticated` or `authentication_failed`"))
        if self._has_extra_permissions():
            errors.append((403, "`permission_denied`"))
        if "{" in self.path:
            errors.append((404, "`not_found`, also for another user's object"))
        errors.append((429, "`throttled`; see the Retry-After header"))
        return errors

    def _permission_classes(self) -> list[type]:
        return [type(p) for p in self.view.get_permissions()]

    def _requires_authentication(self) -> bool:
        return AllowAny not in self._permission_classes()

    def _has_extra_permissions(self) -> bool:
        return any(c not in (AllowAny, IsAuthenticated) for c in self._permission_classes())
