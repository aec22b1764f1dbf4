"""The AsyncAPI document of the WebSockets (`realtime/asyncapi.yaml`): loaded, served, rendered.

The YAML file is the one source: a hand-written document reads like the protocol it describes
(comments, descriptions, examples next to the schemas), the AsyncAPI parser validates it in CI
(`scripts/client_check.sh`), and the consumer tests validate every message they receive against
it (`tests/realtime/asyncapi.py`), which is what keeps it in step with the code.

- `/api/asyncapi.json`: the document as JSON (what tools and generators read);
- `/api/asyncapi.yaml`: the source as is;
- `/api/asyncapi/`: a page for people, rendered here from the document (no script, nothing
  fetched from elsewhere): channels, operations, and each message's fields.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final

import yaml
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.safestring import SafeString
from django.views.decorators.http import require_safe
from markdown_it import MarkdownIt

ASYNCAPI_SOURCE: Final = Path(__file__).with_name("asyncapi.yaml")
TEMPLATE_NAME: Final = "realtime/asyncapi.html"
_CACHE_CONTROL: Final = "public, max-age=300"
# Nested objects of a payload shown as dotted rows; deeper than this is not worth a table.
_MAX_FIELD_DEPTH: Final = 4


@functools.cache
def asyncapi_source() -> str:
    return ASYNCAPI_SOURCE.read_text(encoding="utf-8")


@functools.cache
def asyncapi_document() -> dict[str, Any]:
    """The parsed document (shared: callers must not change it)."""
    document = yaml.safe_load(asyncapi_source())
    if not isinstance(document, dict):
        raise TypeError(f"{ASYNCAPI_SOURCE} does not hold a mapping")
    return document


@functools.cache
def _document_json() -> bytes:
    return json.dumps(asyncapi_document(), ensure_ascii=False, indent=2).encode()


def resolve(document: Mapping[str, Any], node: Any) -> Any:
    """`node`, or what its local `$ref` ("#/a/b") points at, followed until it is no reference."""
    while isinstance(node, Mapping) and isinstance(node.get("$ref"), str):
        target: Any = document
        for part in node["$ref"].removeprefix("#/").split("/"):
            target = target[part.replace("~1", "/").replace("~0", "~")]
        node = target
    return node


# --- views -------------------------------------------------------------------------------------


@require_safe
def asyncapi_json(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(_document_json(), content_type="application/json")
    response["Cache-Control"] = _CACHE_CONTROL
    return response


@require_safe
def asyncapi_yaml(request: HttpRequest) -> HttpResponse:
    response = HttpResponse(asyncapi_source(), content_type="application/yaml; charset=utf-8")
    response["Cache-Control"] = _CACHE_CONTROL
    return response


@require_safe
def asyncapi_page(request: HttpRequest) -> HttpResponse:
    response = render(request, TEMPLATE_NAME, {"doc": _page()})
    response["Cache-Control"] = _CACHE_CONTROL
    return response


# --- the page's view of the document -----------------------------------------------------------


@dataclass(frozen=True)
class FieldRow:
    name: str
    type: str
    required: bool
    description: SafeString
    constraints: str
    depth: int


@dataclass(frozen=True)
class MessageView:
    key: str
    name: str
    title: str
    summary: SafeString
    description: SafeString
    fields: list[FieldRow]
    example: str


@dataclass(frozen=True)
class OperationView:
    key: str
    direction: str
    title: str
    summary: SafeString
    messages: list[MessageView]


@dataclass(frozen=True)
class ChannelView:
    key: str
    address: str
    title: str
    description: SafeString
    parameters: list[tuple[str, SafeString]]
    operations: list[OperationView] = field(default_factory=list)


@dataclass(frozen=True)
class PageView:
    title: str
    version: str
    asyncapi: str
    description: SafeString
    servers: list[tuple[str, str]]
    channels: list[ChannelView]


_markdown = MarkdownIt("commonmark", {"html": False}).enable("table")


def _html(text: object) -> SafeString:
    # The document's own text; raw HTML in it is escaped ("html": False), so this is safe.
    return SafeString(_markdown.render(str(text or "")))


def _inline_html(text: object) -> SafeString:
    """A field's description: inline unless it has several lines (a list of codes, say)."""
    source = str(text or "").strip()
    if "\n" in source:
        return _html(source)
    return SafeString(_markdown.renderInline(source))


@functools.cache
def _page() -> PageView:
    document = asyncapi_document()
    info = document["info"]
    servers = [
        (name, f"{server['protocol']}://{server['host']}{server.get('pathname', '')}")
        for name, server in document.get("servers", {}).items()
    ]
    channels = {
        key: ChannelView(
            key=key,
            address=channel["address"],
            title=channel.get("title", key),
            description=_html(channel.get("description")),
            parameters=[
                (name, _inline_html(parameter.get("description")))
                for name, parameter in channel.get("parameters", {}).items()
            ],
        )
        for key, channel in document["channels"].items()
    }
    for key, operation in document["operations"].items():
        channel_key = operation["channel"]["$ref"].rsplit("/", 1)[-1]
        direction = "server → client" if operation["action"] == "send" else "client → server"
        channels[channel_key].operations.append(
            OperationView(
                key=key,
                direction=direction,
                title=operation.get("title", key),
                summary=_inline_html(operation.get("summary")),
                messages=[
                    _message_view(document, reference["$ref"].rsplit("/", 1)[-1], reference)
                    for reference in operation["messages"]
                ],
            )
        )
    return PageView(
        title=info["title"],
        version=info["version"],
        asyncapi=document["asyncapi"],
        description=_html(info.get("description")),
        servers=servers,
        channels=list(channels.values()),
    )


def _message_view(document: Mapping[str, Any], key: str, reference: Any) -> MessageView:
    message = resolve(document, reference)
    payload = resolve(document, message["payload"])
    examples = message.get("examples") or []
    example = json.dumps(examples[0]["payload"], indent=2, ensure_ascii=False) if examples else ""
    return MessageView(
        key=key,
        name=message.get("name", key),
        title=message.get("title", key),
        summary=_inline_html(message.get("summary")),
        description=_html(message.get("description")),
        fields=list(_field_rows(document, payload, prefix="", depth=0)),
        example=example,
    )


def _field_rows(
    document: Mapping[str, Any], schema: Mapping[str, Any], *, prefix: str, depth: int
) -> Iterator[FieldRow]:
    required = set(schema.get("required", ()))
    for name, raw in schema.get("properties", {}).items():
        prop = resolve(document, raw)
        yield FieldRow(
            name=f"{prefix}{name}",
            type=_type_label(raw, prop),
            required=name in required,
            description=_inline_html(prop.get("description")),
            constraints=_constraints(prop),
            depth=depth,
        )
        if depth + 1 >= _MAX_FIELD_DEPTH:
            continue
        nested = prop
        suffix = "."
        if "items" in prop:
            nested, suffix = resolve(document, prop["items"]), "[]."
        if "properties" in nested:
            yield from _field_rows(
                document, nested, prefix=f"{prefix}{name}{suffix}", depth=depth + 1
            )


def _type_label(raw: Mapping[str, Any], schema: Mapping[str, Any]) -> str:
    if "const" in schema:
        return json.dumps(schema["const"])
    kind = schema.get("type", "any")
    label = " | ".join(kind) if isinstance(kind, list) else str(kind)
    if "format" in schema:
        label += f" ({schema['format']})"
    if "items" in schema:
        items = schema["items"]
        label += f" of {_ref_name(items) or items.get('type', 'any')}"
    name = _ref_name(raw)
    return f"{label} — {name}" if name else label


def _ref_name(schema: Any) -> str | None:
    if isinstance(schema, Mapping) and isinstance(schema.get("$ref"), str):
        return str(schema["$ref"]).rsplit("/", 1)[-1]
    return None


def _constraints(schema: Mapping[str, Any]) -> str:
    parts = []
    if "enum" in schema:
        parts.append("one of " + ", ".join(json.dumps(value) for value in schema["enum"]))
    for keyword, label in (
        ("minimum", "≥"),
        ("maximum", "≤"),
        ("minLength", "length ≥"),
        ("maxLength", "length ≤"),
        ("minItems", "items ≥"),
    ):
        if keyword in schema:
            parts.append(f"{label} {schema[keyword]}")
    return "; ".join(parts)
