"""The AsyncAPI document of the sockets: served, complete, and strict enough to catch a wrong
message (the consumer tests check every message they receive against it through
`tests.realtime.asyncapi.CheckedCommunicator`)."""

from __future__ import annotations

import ast
import importlib
import importlib.util
import json
import re
from pathlib import Path
from typing import Any, get_args, get_type_hints

import pytest
import yaml
from asgiref.sync import async_to_sync

from notifications.kinds import Kind
from realtime.analysis import ACTIVITY_EVENTS, Feedback, Metrics
from realtime.asyncapi import ASYNCAPI_SOURCE, asyncapi_document
from realtime.auth import (
    CLOSE_FORBIDDEN,
    CLOSE_MESSAGE_TOO_BIG,
    CLOSE_RATE_LIMITED,
    CLOSE_UNAUTHENTICATED,
)
from realtime.broadcast import learner_group
from realtime.consumers.learning import LearningAnalyticsConsumer
from realtime.consumers.monitoring import MonitoringConsumer
from realtime.consumers.rooms import CLOSE_NOT_FOUND, FOCUS_STATES, TIMER_ACTIONS, RoomConsumer
from realtime.models.sessions import EndReason
from tests.realtime.asyncapi import Direction, channel_for, check_message, documented_types
from tests.realtime.learning_support import broadcast_until_heard, learning_socket
from tests.realtime.room_support import reset_channel_layers

ROOT = Path(__file__).resolve().parents[2]
LEARNING = "/ws/learning/analytics/"
ROOM = "/ws/study/room/7/"
MONITORING = "/ws/system/monitoring/"
CONSUMERS = {
    "learningAnalytics": LearningAnalyticsConsumer,
    "studyRoom": RoomConsumer,
    "systemMonitoring": MonitoringConsumer,
}


def schema(name: str) -> dict[str, Any]:
    return dict(asyncapi_document()["components"]["schemas"][name])


# --- served beside the OpenAPI schema ---------------------------------------------------------


@pytest.mark.django_db
def test_the_document_is_served_as_json_and_yaml(client):
    as_json = client.get("/api/asyncapi.json")
    assert as_json.status_code == 200
    assert as_json["Content-Type"] == "application/json"
    served = as_json.json()
    assert served["asyncapi"].startswith("3.")
    assert served == yaml.safe_load(ASYNCAPI_SOURCE.read_text(encoding="utf-8"))

    as_yaml = client.get("/api/asyncapi.yaml")
    assert as_yaml.status_code == 200
    assert yaml.safe_load(as_yaml.content) == served


@pytest.mark.django_db
def test_the_page_lists_every_channel_operation_and_message(client):
    response = client.get("/api/asyncapi/")
    assert response.status_code == 200
    page = response.content.decode()
    document = asyncapi_document()
    for channel in document["channels"].values():
        assert f"<code>{channel['address']}</code>" in page
    for key in document["operations"]:
        assert f'id="{key}"' in page
    for name in ("metrics", "session_ended", "snapshot", "member_removed", "system", "auth"):
        assert f"<code>{name}</code>" in page
    # Rendered here, from nothing but this server: no script, no outside address.
    assert "<script" not in page
    assert not re.search(r'(src|href)="https?://', page)
    assert 'href="/api/asyncapi.json"' in page
    assert 'href="/api/docs/"' in page


@pytest.mark.django_db
def test_swagger_links_the_asyncapi_page(client):
    schema_response = client.get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    assert schema_response.status_code == 200
    description = json.loads(schema_response.content)["info"]["description"]
    assert "(/api/asyncapi/)" in description
    assert "(/api/asyncapi.json)" in description


# --- the check the consumer tests rely on ------------------------------------------------------


def test_documented_messages_pass_and_wrong_ones_fail():
    metrics = {
        "type": "metrics",
        "session_id": "4f1c2a7e-8d55-4a4e-9d0f-3b1f2a6c9e11",
        "focus_score": 87.5,
        "pace": 1.2,
        "pace_ratio": None,
        "efficiency": 0.9,
        "interruptions": 1,
        "elapsed_minutes": 12.0,
        "focused_minutes": 10.5,
        "answers": 12,
        "correct_answers": 10,
        "notes": 2,
        "attention": "focused",
        "at": 1767225600.25,
        "analyzed_at": 1767225600.31,
        "ref": None,
    }
    check_message(LEARNING, metrics)

    wrong = [
        {**metrics, "focus_score": "high"},  # a wrong type
        {key: value for key, value in metrics.items() if key != "pace"},  # a missing field
        {**metrics, "attention": "asleep"},  # outside the enum
        {**metrics, "mood": "good"},  # a field the document does not name
        {**metrics, "type": "notice"},  # a type the channel does not have
        {"type": "error", "code": "oops", "message": "?"},  # an undocumented error code
    ]
    for message in wrong:
        with pytest.raises(AssertionError):
            check_message(LEARNING, message)
    # Right message, wrong channel or direction.
    with pytest.raises(AssertionError):
        check_message(ROOM, metrics)
    with pytest.raises(AssertionError):
        check_message(LEARNING, metrics, direction="client")


def test_every_example_in_the_document_is_a_valid_message():
    document = asyncapi_document()
    checked = 0
    for channel in document["channels"].values():
        path = channel["address"].replace("{room_id}", "7")
        for operation in document["operations"].values():
            if operation["channel"]["$ref"].rsplit("/", 1)[-1] != _key(document, channel):
                continue
            direction: Direction = "server" if operation["action"] == "send" else "client"
            for entry in operation["messages"]:
                message_key = entry["$ref"].rsplit("/", 1)[-1]
                component_ref = channel["messages"][message_key]["$ref"]
                message = document["components"]["messages"][component_ref.rsplit("/", 1)[-1]]
                for example in message.get("examples", []):
                    check_message(path, example["payload"], direction=direction)
                    checked += 1
    assert checked >= 15


def _key(document: dict[str, Any], channel: dict[str, Any]) -> str:
    return next(key for key, value in document["channels"].items() if value is channel)


def test_socket_paths_map_to_their_channels():
    expected = {
        LEARNING + "?token=x": "learningAnalytics",
        "/ws/study/room/123/": "studyRoom",
        MONITORING: "systemMonitoring",
    }
    for path, key in expected.items():
        channel = channel_for(path)
        assert channel is not None
        assert channel.key == key
    assert channel_for("/ws/study/room/123/extra/") is None


@pytest.mark.django_db(transaction=True)
def test_a_consumer_test_socket_fails_on_an_undocumented_message(user):
    """The shared test sockets really check: a made-up event sent through the learner's group
    (as a service would) makes the receiving test fail."""
    reset_channel_layers()

    async def scenario() -> None:
        socket = learning_socket(user)
        assert (await socket.connect())[0]
        undocumented = {"type": "feedback", "session_id": "s", "rule": "x"}
        with pytest.raises(AssertionError, match="feedback"):
            await broadcast_until_heard(socket, learner_group(user.pk), undocumented)
        await socket.disconnect()

    try:
        async_to_sync(scenario)()
    finally:
        reset_channel_layers()


# --- complete: every message the code sends or accepts is described --------------------------

# The modules that build messages for each channel's clients. A file that sends a `"type": ...`
# to sockets but is not listed here fails the test below until it is.
SENDERS: dict[str, set[str]] = {
    "realtime/consumers/base.py": {"learningAnalytics", "studyRoom", "systemMonitoring"},
    "realtime/consumers/learning.py": {"learningAnalytics"},
    "realtime/live_analysis.py": {"learningAnalytics"},
    "realtime/services/sessions.py": {"learningAnalytics"},
    "notifications/channels/in_app.py": {"learningAnalytics"},
    "realtime/consumers/rooms.py": {"studyRoom"},
    "realtime/services/rooms.py": {"studyRoom"},
    "realtime/services/room_timer.py": {"studyRoom"},
    "realtime/admin.py": {"studyRoom"},
    "realtime/monitoring.py": {"systemMonitoring"},
}
# `"type": <variable>` sites, with every value the variable takes.
DYNAMIC_TYPES: dict[tuple[str, str], set[str]] = {
    ("realtime/consumers/rooms.py", "kind"): {"join", "leave"},  # PresenceAnnouncer
}
# Channel-layer envelopes and ASGI messages: never sent to a client.
_INTERNAL_TYPE = re.compile(r"^[a-z_]+\.[a-z_.]+$")


def _sent_types() -> dict[str, set[str]]:
    """file -> the `type` values of the dict literals in it (constants and variables
    resolved), for every Python file of realtime/ and the in-app notification channel."""
    files = [*(ROOT / "realtime").rglob("*.py"), ROOT / "notifications/channels/in_app.py"]
    found: dict[str, set[str]] = {}
    for path in files:
        relative = path.relative_to(ROOT).as_posix()
        if "/migrations/" in relative:
            continue
        tree = ast.parse(path.read_text(encoding="utf-8"))
        constants = _module_constants(tree)
        for node in ast.walk(tree):
            if not isinstance(node, ast.Dict):
                continue
            for key, value in zip(node.keys, node.values, strict=True):
                if not (isinstance(key, ast.Constant) and key.value == "type"):
                    continue
                if isinstance(value, ast.Constant) and isinstance(value.value, str):
                    kinds = {value.value}
                elif isinstance(value, ast.Name) and value.id in constants:
                    kinds = {constants[value.id]}
                elif isinstance(value, ast.Name) and value.id.isupper():
                    module_name = relative.removesuffix(".py").replace("/", ".")
                    kinds = {_imported_constant(tree, value.id, module_name)}
                elif isinstance(value, ast.Name):
                    site = (relative, value.id)
                    assert site in DYNAMIC_TYPES, f"{relative}: list {value.id}'s values"
                    kinds = DYNAMIC_TYPES[site]
                else:
                    raise AssertionError(
                        f"{relative}:{value.lineno}: a `type` this test can't read"
                    )
                kinds = {kind for kind in kinds if not _INTERNAL_TYPE.match(kind)}
                if kinds:
                    found.setdefault(relative, set()).update(kinds)
    return found


def _module_constants(tree: ast.Module) -> dict[str, str]:
    constants = {}
    for node in tree.body:
        target = None
        if isinstance(node, ast.Assign) and len(node.targets) == 1:
            target, value = node.targets[0], node.value
        elif isinstance(node, ast.AnnAssign) and node.value is not None:
            target, value = node.target, node.value
        if (
            isinstance(target, ast.Name)
            and isinstance(value, ast.Constant)
            and isinstance(value.value, str)
        ):
            constants[target.id] = value.value
    return constants


def _imported_constant(tree: ast.Module, name: str, module_name: str) -> str:
    for node in tree.body:
        if isinstance(node, ast.ImportFrom) and any(alias.name == name for alias in node.names):
            package = module_name.rpartition(".")[0]
            target = importlib.util.resolve_name("." * node.level + (node.module or ""), package)
            return str(getattr(importlib.import_module(target), name))
    raise AssertionError(f"{module_name}: cannot resolve the constant {name}")


def test_every_type_the_server_sends_is_described_on_its_channels():
    sent = _sent_types()
    unlisted = set(sent) - set(SENDERS)
    assert not unlisted, f"files sending socket messages, not in SENDERS: {sorted(unlisted)}"
    missing = [
        f"{kind} ({path} -> {channel})"
        for path, kinds in sent.items()
        for channel in SENDERS[path]
        for kind in kinds
        if kind not in documented_types(channel, "server")
    ]
    assert not missing, f"sent but not in the AsyncAPI document: {missing}"
    # And nothing documented that nothing sends.
    every_sent = set().union(*sent.values())
    for channel in CONSUMERS:
        assert documented_types(channel, "server") <= every_sent, channel


def test_every_message_a_consumer_accepts_is_described_and_nothing_more():
    for channel, consumer in CONSUMERS.items():
        accepted = set(consumer.message_types) | {"auth"}
        assert documented_types(channel, "client") == accepted, channel


def test_the_enums_are_the_codes():
    schemas = asyncapi_document()["components"]["schemas"]
    assert set(schemas["ActivityPayload"]["properties"]["event"]["enum"]) == ACTIVITY_EVENTS
    assert set(schemas["TimerCommandPayload"]["properties"]["action"]["enum"]) == TIMER_ACTIONS
    assert set(schemas["StatusCommandPayload"]["properties"]["focus"]["enum"]) == FOCUS_STATES
    assert set(schemas["Member"]["properties"]["focus"]["enum"]) == FOCUS_STATES
    kinds = schemas["NotificationPayload"]["properties"]["notification"]["properties"]["kind"]
    assert set(kinds["enum"]) == set(Kind.values)
    reasons = schemas["SessionEndedPayload"]["properties"]["reason"]["enum"]
    assert set(reasons) == set(EndReason.values)
    report_reasons = schemas["SessionReport"]["properties"]["end_reason"]["enum"]
    assert set(report_reasons) == {*EndReason.values, None}
    rules = set(get_args(get_type_hints(Feedback)["rule"]))
    assert set(schemas["FeedbackPayload"]["properties"]["rule"]["enum"]) == rules
    assert set(schemas["FeedbackItem"]["properties"]["rule"]["enum"]) == rules
    attention = set(get_args(get_type_hints(Metrics)["attention"]))
    assert set(schemas["MetricsPayload"]["properties"]["attention"]["enum"]) == attention


def test_every_error_code_the_consumers_use_is_in_the_enum():
    codes = set(schema("ErrorPayload")["properties"]["code"]["enum"])
    used: set[str] = set()
    for path in (ROOT / "realtime" / "consumers").glob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and node.args):
                continue
            called = node.func.attr if isinstance(node.func, ast.Attribute) else None
            if isinstance(node.func, ast.Name):
                called = node.func.id
            first = node.args[0]
            if called in ("ClientError", "send_error") and isinstance(first, ast.Constant):
                used.add(str(first.value))
    assert {"invalid_json", "unknown_type", "rate_limited", "internal_error"} <= used
    assert used <= codes, sorted(used - codes)


def test_the_close_codes_are_documented():
    text = json.dumps(asyncapi_document())
    for code in (
        CLOSE_UNAUTHENTICATED,
        CLOSE_FORBIDDEN,
        CLOSE_NOT_FOUND,
        CLOSE_RATE_LIMITED,
        CLOSE_MESSAGE_TOO_BIG,
    ):
        assert f"| {code} |" in asyncapi_document()["info"]["description"], code
        assert str(code) in text
