"""Serializer building blocks shared by every app."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiSerializerFieldExtension
from rest_framework import serializers


class ReferenceField(serializers.IntegerField):
    """An id, given either as the number or as the object a response shows (`{"id": 3, ...}`,
    other keys ignored): what a client read under a name, it can send back under that name."""

    def to_internal_value(self, data: Any) -> int:
        if isinstance(data, Mapping):
            if "id" not in data:
                raise serializers.ValidationError(_("Give an id, or an object with its id."))
            data = data["id"]
        return int(super().to_internal_value(data))


class ReferenceFieldSchema(OpenApiSerializerFieldExtension):  # type: ignore[no-untyped-call]
    """`oneOf: [integer, {id: integer}]`, with the field's bounds on both integers."""

    target_class = ReferenceField

    def map_serializer_field(self, auto_schema: Any, direction: Any) -> dict[str, Any]:
        field = self.target
        number: dict[str, Any] = {"type": "integer"}
        if field.min_value is not None:
            number["minimum"] = field.min_value
        if field.max_value is not None:
            number["maximum"] = field.max_value
        shown = {
            "type": "object",
            "properties": {"id": number},
            "required": ["id"],
            "description": "The object as a response shows it; only `id` is read.",
        }
        return {"oneOf": [number, shown]}


class StrictInputSerializer(serializers.Serializer[Any]):
    """Refuses fields it does not declare as writable, instead of silently dropping them.

    A client that sends `is_staff` or `email` to a profile update learns at once that the field
    cannot be set, and nothing is changed.

    `read_names` maps a declared id field to the name responses give the same value
    (`{"subject_id": "subject"}`): both names are accepted, the value arrives under the declared
    one. Both are optional in the schema; when the declared field is required, one of the two
    must be sent (and when both are, they must agree).
    """

    read_names: ClassVar[Mapping[str, str]] = {}

    def get_fields(self) -> dict[str, Any]:
        fields = dict(super().get_fields())
        for name, read_name in self.read_names.items():
            declared = fields[name]
            kwargs = {**declared._kwargs, "required": False}  # type: ignore[attr-defined]
            either = f" One of `{name}` and `{read_name}` is required." if declared.required else ""
            own_help = f"{kwargs.pop('help_text', '') or ''} ".lstrip()
            fields[name] = type(declared)(
                *declared._args,  # type: ignore[attr-defined]
                **kwargs,
                help_text=f"{own_help}Or `{read_name}`, the name responses use.{either}",
            )
            bounds = {k: v for k, v in kwargs.items() if k in ("min_value", "max_value")}
            fields[read_name] = ReferenceField(
                **bounds,
                required=False,
                allow_null=bool(kwargs.get("allow_null", False)),
                help_text=f"The same as `{name}`: the id, or the object a response shows.{either}",
            )
        return fields

    def to_internal_value(self, data: Any) -> Any:
        if isinstance(data, Mapping):
            writable = {name for name, field in self.fields.items() if not field.read_only}
            unknown = sorted(set(data) - writable)
            if unknown:
                message = _("This field cannot be set here.")
                raise serializers.ValidationError({name: [message] for name in unknown})
        values = super().to_internal_value(data)
        if self.read_names:
            self._merge_read_names(values)
        return values

    def _merge_read_names(self, values: dict[str, Any]) -> None:
        errors: dict[str, list[Any]] = {}
        for name, read_name in self.read_names.items():
            if read_name in values:
                value = values.pop(read_name)
                if name in values and values[name] != value:
                    errors[read_name] = [_("Differs from `%(name)s`; send one.") % {"name": name}]
                values[name] = value
            elif name not in values and not self.partial and self._declared_required(name):
                errors[name] = [serializers.Field.default_error_messages["required"]]
        if errors:
            raise serializers.ValidationError(errors)

    def _declared_required(self, name: str) -> bool:
        declared = self._declared_fields[name]
        return bool(declared.required)


def validated(serializer_class: type, data: Any, *, partial: bool = False) -> dict[str, Any]:
    """Runs an input serializer over request data; bad input raises DRF's ValidationError,
    which the exception handler renders as the `validation_error` envelope."""
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class SuccessBandOutputSerializer(serializers.Serializer[Any]):
    # The target band of predicted success; quiz and personalization answers share the one type.
    min = serializers.FloatField()
    max = serializers.FloatField()


# The largest id a BigAutoField holds: an id filter past it is a 400, not a database overflow.
MAX_ID = 2**63 - 1
