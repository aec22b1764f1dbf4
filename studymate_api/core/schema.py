"""OpenAPI generation: every operation documents each error it can give, in the envelope.

What an operation can answer besides its success follows from what the view is (the automatic
errors below) plus the application errors its services raise, which the view declares:

    @extend_schema(request=..., responses={202: SummaryOutputSerializer, **raises(
        InsufficientCredits, NotFound)})

Per status, the error body is an envelope whose `code` is an enum of exactly the codes that
operation uses there: components `<Codes>ErrorEnvelope` > `<Codes>Error` > `<Codes>ErrorCode`
per set of codes, named after the codes, so the names are stable and one set is one component.

Automatic:
- a request body (POST/PUT/PATCH): 400 `validation_error`/`parse_error`, 413
  `payload_too_large`, 415 `unsupported_media_type`; query parameters: 400 `validation_error`;
- authentication: 401 `authentication_failed` wherever a token is read, and `not_authenticated`
  where one is required; permissions beyond signing in: 403 `permission_denied`;
- path parameters or a paginated list (an out-of-range page): 404 `not_found`;
- throttles: 429 `throttled` with `Retry-After`; the database can be down anywhere: 503
  `service_unavailable` with `Retry-After`;
- `@idempotent` views (`__idempotent__`): the `Idempotency-Key` header, 409
  `idempotency_in_progress`, 422 `idempotency_key_reused`, `Idempotent-Replayed` on answers;
- `@etag_cached` views (`__etag__`): the `If-None-Match` header, `ETag` on 200, a 304 without
  a body;
- 201/202 answers carry `Location`.

The operation's summary and description come from the view method's docstring (first line,
then the rest), unless `extend_schema` gives them; serializer docstrings are internal and never
become component descriptions. The schema is generated in English whatever the request's
language.
"""

from __future__ import annotations

import inspect
import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from django.utils import translation
from drf_spectacular.drainage import get_override, warn
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.openapi import AutoSchema
from drf_spectacular.plumbing import ComponentIdentity, ResolvedComponent
from drf_spectacular.utils import OpenApiResponse
from rest_framework import serializers
from rest_framework.permissions import AllowAny, IsAuthenticated
from rest_framework.request import Request

from .errors import (
    ApplicationError,
    AuthenticationFailed,
    ErrorCode,
    IdempotencyInProgress,
    IdempotencyKeyReused,
    NotAuthenticated,
    NotFound,
    ParseError,
    PayloadTooLarge,
    PermissionDenied,
    ServiceUnavailable,
    Throttled,
    UnsupportedMediaType,
    ValidationFailed,
)

SCHEMA_LANGUAGE = "en"
ERROR_MEDIA_TYPE = "application/json"

_WRITE_METHODS = {"POST", "PUT", "PATCH"}
_STRING = {"type": "string"}


class RaisedErrors(OpenApiResponse):
    """The errors of one status that a view declares (see `raises`); the generator merges the
    automatic ones of the same status into the same envelope."""

    def __init__(self, errors: Iterable[type[ApplicationError]]) -> None:
        super().__init__(response=None)
        self.errors = tuple(errors)


def raises(*errors: type[ApplicationError]) -> dict[int, OpenApiResponse]:
    """The application errors a view's services raise, grouped by HTTP status, for
    `extend_schema(responses={200: Out, **raises(InsufficientCredits, Conflict)})`."""
    grouped: dict[int, list[type[ApplicationError]]] = defaultdict(list)
    for error in errors:
        grouped[error.http_status].append(error)
    return {status: RaisedErrors(grouped[status]) for status in sorted(grouped)}


def _header(description: str, schema: dict[str, Any], *, required: bool = False) -> dict[str, Any]:
    return {"schema": schema, "description": description, "required": required}


LOCATION = _header(
    "Absolute URL of the resource created or accepted.",
    {"type": "string", "format": "uri"},
    required=True,
)
ETAG = _header(
    "Version of this representation; send it back in `If-None-Match` to get a 304 while it is "
    "current. Absent when the cache cannot say.",
    _STRING,
)
RETRY_AFTER = _header("Seconds to wait before retrying.", {"type": "integer", "minimum": 0})
REPLAYED = _header(
    "`true` when this is the stored answer to an earlier request with the same "
    "`Idempotency-Key`; the request did not run again.",
    {"type": "string", "enum": ["true"]},
)
WWW_AUTHENTICATE = _header("`Bearer` challenge.", _STRING)

IDEMPOTENCY_KEY_PARAMETER = {
    "in": "header",
    "name": "Idempotency-Key",
    "required": False,
    "schema": {"type": "string", "minLength": 1, "maxLength": 255},
    "description": (
        "A unique key (a UUID) per logical request: a retry with the same key and request gets "
        "the first answer again, marked `Idempotent-Replayed: true`, and does nothing twice. "
        "Kept 24 hours per user. The same key with another request is 422 "
        "`idempotency_key_reused`; while the first still runs, 409 `idempotency_in_progress`."
    ),
}
IF_NONE_MATCH_PARAMETER = {
    "in": "header",
    "name": "If-None-Match",
    "required": False,
    "schema": _STRING,
    "description": "The `ETag` of the copy you hold: 304 without a body while it is current.",
}


def error_component_stem(codes: Iterable[str]) -> str:
    """`["validation_error", "parse_error"]` -> `ParseOrValidation`: the codes in order, each
    in PascalCase without a trailing `_error` (the component names end in `Error`)."""
    words = []
    for code in sorted(set(codes)):
        base = code.removesuffix("_error") or code
        words.append("".join(part.capitalize() for part in base.split("_")))
    return "Or".join(words)


def _error_detail_schema(codes: list[str], code_enum: dict[str, Any]) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "code": code_enum,
        "message": {
            "type": "string",
            "description": "Human-readable text in the request's language.",
        },
    }
    if ErrorCode.VALIDATION_ERROR in codes:
        properties["fields"] = {
            "type": "object",
            "additionalProperties": {"type": "array", "items": _STRING},
            "description": "For `validation_error`: each field's messages, nested fields by "
            "dotted path (`profile.timezone`, `questions.2.text`).",
        }
    return {"type": "object", "properties": properties, "required": ["code", "message"]}


class EnvelopeAutoSchema(AutoSchema):
    # --- text -----------------------------------------------------------------------------

    def get_summary(self) -> str | None:
        return self._docstring()[0]

    def get_description(self) -> str:  # type: ignore[override]
        return self._docstring()[1]

    def _docstring(self) -> tuple[str | None, str]:
        """The view method's own docstring: first line the summary, the rest the description.
        The view class's docstring is about the code, not the operation, and is never used."""
        raw = getattr(self._view_method(), "__doc__", None)
        if not raw:
            return None, ""
        lines = inspect.cleandoc(raw).splitlines()
        return lines[0].strip().rstrip(".") or None, "\n".join(lines[1:]).strip()

    def _view_method(self) -> Any:
        action = getattr(self.view, "action", None) or self.method.lower()
        return getattr(self.view, action, None)

    def _map_basic_serializer(self, serializer: Any, direction: Any) -> dict[str, Any]:
        schema: dict[str, Any] = super()._map_basic_serializer(serializer, direction)  # type: ignore[no-untyped-call]
        # A serializer's docstring documents the code; only an explicit override is public.
        schema.pop("description", None)
        description = get_override(serializer, "description", None)
        if description:
            schema["description"] = description
        return schema

    def _map_serializer_field(
        self, field: Any, direction: Any, bypass_extensions: bool = False
    ) -> Any:
        schema = super()._map_serializer_field(field, direction, bypass_extensions)  # type: ignore[no-untyped-call]
        if isinstance(field, serializers.TimeField) and isinstance(schema, dict):
            # DRF writes wall-clock times ("07:30:00", no offset), which JSON Schema's RFC 3339
            # `time` format refuses.
            schema.pop("format", None)
            schema["pattern"] = r"^\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?$"
        return schema

    # --- parameters -------------------------------------------------------------------------

    def _get_parameters(self) -> list[dict[str, Any]]:
        parameters: list[dict[str, Any]] = super()._get_parameters()
        present = {(p["name"], p["in"]) for p in parameters}
        for marker, extra in (
            ("__idempotent__", IDEMPOTENCY_KEY_PARAMETER),
            ("__etag__", IF_NONE_MATCH_PARAMETER),
        ):
            if self._marked(marker) and (extra["name"], extra["in"]) not in present:
                parameters.append(dict(extra))
        return parameters

    def _marked(self, marker: str) -> bool:
        return bool(getattr(self._view_method(), marker, False))

    # --- responses --------------------------------------------------------------------------

    def _get_response_bodies(self, direction: str = "response") -> dict[str, Any]:
        bodies: dict[str, Any] = super()._get_response_bodies(direction)  # type: ignore[arg-type]
        if direction != "response":
            return bodies
        for status, errors in self._errors_by_status().items():
            bodies[status] = self._error_response(errors)
        if self._marked("__etag__"):
            bodies["304"] = {
                "description": "Not Modified: the copy named in `If-None-Match` is current.",
                "headers": {"ETag": ETAG},
            }
        for status, response in bodies.items():
            self._add_headers(status, response)
        return dict(sorted(bodies.items()))

    def _errors_by_status(self) -> dict[str, list[type[ApplicationError]]]:
        by_status: dict[str, list[type[ApplicationError]]] = defaultdict(list)
        declared: Any = self.get_response_serializers()
        if isinstance(declared, dict):
            for status, response in declared.items():
                if isinstance(response, RaisedErrors):
                    by_status[str(status)].extend(response.errors)
                elif str(status)[0] in "45":
                    warn(
                        f"{self.method} {self.path}: error status {status} is declared without "
                        "its codes; use `raises(...)` so it gets the envelope and its code enum"
                    )
        for error in self._automatic_errors():
            by_status[str(error.http_status)].append(error)
        return by_status

    def _automatic_errors(self) -> list[type[ApplicationError]]:
        errors: list[type[ApplicationError]] = []
        query = {p["name"] for p in super()._get_parameters() if p["in"] == "query"}
        if self.method in _WRITE_METHODS:
            errors += [ValidationFailed, ParseError, PayloadTooLarge, UnsupportedMediaType]
        elif query:
            errors.append(ValidationFailed)
        if self.view.get_authenticators():
            errors.append(AuthenticationFailed)
        if self._requires_authentication():
            errors.append(NotAuthenticated)
        if self._has_extra_permissions():
            errors.append(PermissionDenied)
        if "{" in self.path or "page" in query:  # a page past the end is 404 too
            errors.append(NotFound)
        if self.view.get_throttles():
            errors.append(Throttled)
        if self._marked("__idempotent__"):
            errors += [IdempotencyInProgress, IdempotencyKeyReused]
        errors.append(ServiceUnavailable)
        return errors

    def _error_response(self, errors: list[type[ApplicationError]]) -> dict[str, Any]:
        messages: dict[str, str] = {}
        for error in errors:
            messages.setdefault(str(error.code), str(error.default_message))
        codes = sorted(messages)
        envelope = self._register_error_components(codes, messages)
        return {
            "description": "; ".join(f"`{code}`: {messages[code]}" for code in codes),
            "content": {ERROR_MEDIA_TYPE: {"schema": envelope.ref}},
        }

    def _register_error_components(
        self, codes: list[str], messages: dict[str, str]
    ) -> ResolvedComponent:
        """`<Codes>ErrorCode` (the enum), `<Codes>Error` (the error object) and
        `<Codes>ErrorEnvelope` (the body), shared by every operation with the same codes."""
        name = f"{error_component_stem(codes)}Error"
        code_enum = self._register(
            f"{name}Code",
            {
                "type": "string",
                "enum": codes,
                "description": "\n".join(f"- `{code}`: {messages[code]}" for code in codes),
            },
        )
        detail = self._register(name, _error_detail_schema(codes, code_enum.ref))
        return self._register(
            f"{name}Envelope",
            {"type": "object", "properties": {"error": detail.ref}, "required": ["error"]},
        )

    def _register(self, name: str, schema: dict[str, Any]) -> ResolvedComponent:
        component = ResolvedComponent(  # type: ignore[no-untyped-call]
            name=name,
            type=ResolvedComponent.SCHEMA,
            schema=schema,
            object=ComponentIdentity(("error-schema", name)),  # type: ignore[no-untyped-call]
        )
        self.registry.register_on_missing(component)
        return self.registry[component]

    def _add_headers(self, status: str, response: dict[str, Any]) -> None:
        headers: dict[str, Any] = {}
        if status in {"201", "202"}:
            headers["Location"] = LOCATION
        if status == "200" and self._marked("__etag__"):
            headers["ETag"] = ETAG
        if status.startswith("2") and self._marked("__idempotent__"):
            headers["Idempotent-Replayed"] = REPLAYED
        if status == "401":
            headers["WWW-Authenticate"] = WWW_AUTHENTICATE
        if status in {"429", "503"} or (status == "409" and self._marked("__idempotent__")):
            headers["Retry-After"] = RETRY_AFTER
        if headers:
            response["headers"] = {**response.get("headers", {}), **headers}

    def _permission_classes(self) -> list[type]:
        return [type(p) for p in self.view.get_permissions()]

    def _requires_authentication(self) -> bool:
        return AllowAny not in self._permission_classes()

    def _has_extra_permissions(self) -> bool:
        return any(c not in (AllowAny, IsAuthenticated) for c in self._permission_classes())


class EnglishSchemaGenerator(SchemaGenerator):
    """The schema is one document: generated in English whatever the request's language (or
    `?lang=`), so the text a client generates from never depends on who fetched it."""

    def get_schema(self, request: Request | None = None, public: bool = False) -> dict[str, Any]:
        with translation.override(SCHEMA_LANGUAGE):
            schema: dict[str, Any] = super().get_schema(  # type: ignore[no-untyped-call]
                request=request, public=public
            )
        return schema


def nullable_as_type_unions(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: what drf-spectacular does not convert to OpenAPI 3.1 itself (DRF's
    pagination schema, hand-written field schemas) still says `nullable: true`, which 3.1 tools
    ignore; it becomes a JSON Schema type union. And a nullable any-value (`oneOf: [{}, null]`,
    which refuses null: it matches both) becomes the any-value it is."""
    _convert_nullable(result)
    return result


def _convert_nullable(node: Any) -> None:
    if isinstance(node, list):
        for item in node:
            _convert_nullable(item)
        return
    if not isinstance(node, dict):
        return
    for value in node.values():
        _convert_nullable(value)
    if {} in node.get("oneOf", []):
        # Any value or null (a nullable JSONField): `{}` already takes null, and with the null
        # alternative too `oneOf` would match null twice and refuse it.
        del node["oneOf"]
    if not node.pop("nullable", False):
        return
    kind = node.get("type")
    if isinstance(kind, str):
        node["type"] = [kind, "null"]
    elif isinstance(kind, list):
        node["type"] = [*kind, *(["null"] if "null" not in kind else [])]
    else:
        alternative = {key: node.pop(key) for key in list(node) if key not in _ANNOTATIONS}
        if alternative:  # an empty schema takes null already
            node["oneOf"] = [alternative, {"type": "null"}]


# Keys that describe a schema rather than constrain it: they stay outside a `oneOf`.
_ANNOTATIONS = {"description", "title", "readOnly", "writeOnly", "deprecated", "example"}

_NORMALIZED_NAME = re.compile(r"[^a-z0-9]")


def component_names_are_distinct(result: dict[str, Any], **kwargs: Any) -> dict[str, Any]:
    """Postprocessing hook: component names that differ only in case, underscores or dashes
    (`SubjectRef` and `_SubjectRef`) collide in generated clients, which then drop one."""
    names = result.get("components", {}).get("schemas", {})
    seen: dict[str, str] = {}
    for name in names:
        key = _NORMALIZED_NAME.sub("", name.lower())
        if key in seen:
            warn(f"component names {seen[key]!r} and {name!r} collide in generated clients")
        if name.startswith("_"):
            warn(f"component name {name!r} starts with an underscore")
        seen[key] = name
    return result
