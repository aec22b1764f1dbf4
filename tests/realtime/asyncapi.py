"""Checks WebSocket messages against the AsyncAPI document (`realtime/asyncapi.yaml`).

The shared socket helpers (`learning_support.learning_socket`, `room_support.socket`) return a
`CheckedCommunicator`, so every message a consumer test receives is validated against the
schema the document gives for that channel, server to client:

    socket = CheckedCommunicator(application, "/ws/study/room/3/?token=...")
    await socket.receive_output()      # AssertionError if the frame is not a documented message

`check_message(path, message)` does the same for one decoded message (real websockets clients).

The check is stricter than the document: objects may not carry fields the document does not
name (`additionalProperties: false` added wherever a schema lists properties and says nothing
else). The document leaves clients free to ignore new fields; the tests make sure no field
reaches them undocumented.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Final, Literal

from channels.testing import WebsocketCommunicator
from jsonschema import Draft7Validator
from referencing import Registry
from referencing.jsonschema import DRAFT7

from realtime.asyncapi import asyncapi_document

Direction = Literal["server", "client"]

_BASE_URI: Final = "urn:studymate:asyncapi"


@dataclass(frozen=True)
class Channel:
    key: str
    address: str
    pattern: re.Pattern[str]


@functools.cache
def channels() -> tuple[Channel, ...]:
    found = []
    for key, channel in asyncapi_document()["channels"].items():
        address = channel["address"]
        # "{room_id}" matches one path segment.
        regex = re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(address))
        found.append(Channel(key=key, address=address, pattern=re.compile(f"^{regex}$")))
    return tuple(found)


def channel_for(path: str) -> Channel | None:
    """The documented channel a socket path (query string allowed) belongs to."""
    bare = path.split("?", 1)[0]
    return next((channel for channel in channels() if channel.pattern.match(bare)), None)


@functools.cache
def _registry() -> Registry[Any]:
    strict = _forbid_undocumented_fields(copy.deepcopy(asyncapi_document()))
    return Registry().with_resource(_BASE_URI, DRAFT7.create_resource(strict))


def _forbid_undocumented_fields(node: Any) -> Any:
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict) and "additionalProperties" not in node:
            node["additionalProperties"] = False
        for value in node.values():
            _forbid_undocumented_fields(value)
    elif isinstance(node, list):
        for value in node:
            _forbid_undocumented_fields(value)
    return node


def _pointer(reference: str) -> list[str]:
    return reference.removeprefix("#/").split("/")


def _resolved(reference: str) -> Any:
    node: Any = asyncapi_document()
    for part in _pointer(reference):
        node = node[part]
    while isinstance(node, Mapping) and "$ref" in node:
        reference = node["$ref"]
        node = _resolved(reference)
    return node


def _component_reference(reference: str) -> str:
    """Follows a channel's message entry to the `#/components/messages/...` it names."""
    node: Any = asyncapi_document()
    for part in _pointer(reference):
        node = node[part]
    if isinstance(node, Mapping) and "$ref" in node:
        return _component_reference(node["$ref"])
    return reference


@functools.cache
def message_validators(channel_key: str, direction: Direction) -> dict[str, Draft7Validator]:
    """`type` -> the validator of that message's payload, for one channel and direction
    (`server`: what the server sends, the `send` operations of the channel)."""
    action = "send" if direction == "server" else "receive"
    validators: dict[str, Draft7Validator] = {}
    for operation in asyncapi_document()["operations"].values():
        if operation["action"] != action:
            continue
        if operation["channel"]["$ref"] != f"#/channels/{channel_key}":
            continue
        for entry in operation["messages"]:
            message_ref = _component_reference(entry["$ref"])
            payload = _resolved(f"{message_ref}/payload")
            kind = payload["properties"]["type"]["const"]
            assert kind not in validators, f"two {direction} messages of type {kind!r}"
            validators[kind] = Draft7Validator(
                {"$ref": f"{_BASE_URI}{message_ref}/payload"},
                registry=_registry(),
                format_checker=Draft7Validator.FORMAT_CHECKER,
            )
    return validators


def documented_types(channel_key: str, direction: Direction) -> set[str]:
    return set(message_validators(channel_key, direction))


def check_message(path: str, message: Any, direction: Direction = "server") -> None:
    """AssertionError unless `message` is a message the document describes for the channel of
    `path` in that direction, with every field as its schema says."""
    channel = channel_for(path)
    assert channel is not None, f"no AsyncAPI channel has the address of {path}"
    assert isinstance(message, dict), f"{channel.address}: not a JSON object: {message!r}"
    validators = message_validators(channel.key, direction)
    kind = message.get("type")
    assert kind in validators, (
        f"{channel.address}: a {direction} message of type {kind!r} is not in the AsyncAPI "
        f"document (documented: {sorted(validators)})"
    )
    errors = sorted(validators[kind].iter_errors(message), key=lambda error: list(error.path))
    assert not errors, f"{channel.address}: {kind!r} does not match the AsyncAPI document:\n" + (
        "\n".join(
            f"- at {'/'.join(map(str, error.path)) or '(message)'}: {error.message}"
            for error in errors
        )
        + f"\nmessage: {json.dumps(message)[:2000]}"
    )


class CheckedCommunicator(WebsocketCommunicator):  # type: ignore[misc]
    """Channels' test communicator whose every received text frame must be a documented
    server message of the socket's channel (sockets outside the document are not checked)."""

    def __init__(
        self,
        application: Any,
        path: str,
        headers: list[tuple[bytes, bytes]] | None = None,
        subprotocols: list[str] | None = None,
        *,
        validate: bool = True,
    ) -> None:
        super().__init__(application, path, headers, subprotocols)
        self.protocol_path = path if validate else None

    async def receive_output(self, timeout: float = 1) -> dict[str, Any]:
        output: dict[str, Any] = await super().receive_output(timeout)
        text = output.get("text")
        path = self.protocol_path
        sent = output.get("type") == "websocket.send"
        if path is not None and sent and isinstance(text, str) and channel_for(path) is not None:
            check_message(path, json.loads(text))
        return output
