"""Serializer building blocks shared by every app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers


class StrictInputSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare as writable, instead of silently dropping them.

    A client that sends `is_staff` or `email` to a profile update learns at once that the field
    cannot be set, and nothing is changed.
    """

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                message = _("This field cannot be set here.")
                raise serializers.ValidationError({name: [message] for name in unknown})
        return super().to_internal_value(data)


def validated(serializer_class: type, data: Any, *, partial: bool = False) -> dict[str, Any]:
    """Runs an input serializer over request data; bad input raises DRF's ValidationError,
    which the exception handler renders as the `validation_error` envelope."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
