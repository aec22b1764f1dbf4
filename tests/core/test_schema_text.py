"""The schema's human text: a summary on every operation, request examples a client can send as
they are, and no implementation notes where a client developer reads."""

from __future__ import annotations

import copy
import re
from collections import defaultdict
from typing import Any

import pytest
from drf_spectacular.drainage import get_override
from drf_spectacular.generators import SchemaGenerator
from rest_framework.test import APIClient

from studymate_api.core.serializers import StrictInputSerializer
from tests.conftest import login_tokens

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}

# The request bodies a new client writes first: each must show at least one example.
MAIN_REQUEST_BODIES = {
    ("/api/auth/register/", "post"),
    ("/api/auth/login/", "post"),
    ("/api/auth/profile/", "put"),
    ("/api/auth/password/change/", "post"),
    ("/api/study/subjects/", "post"),
    ("/api/study/generate-summary/", "post"),
    ("/api/study/progress/", "post"),
    ("/api/study/goals/", "post"),
    ("/api/study/settings/", "put"),
    ("/api/quiz/quizzes/", "post"),
    ("/api/quiz/questions/", "post"),
    ("/api/quiz/quizzes/generate/", "post"),
    ("/api/quiz/quizzes/{quiz_id}/attempts/", "post"),
    ("/api/quiz/submit-answer/", "post"),
    ("/api/subscription/checkout/", "post"),
    ("/api/subscription/credits/top-up/", "post"),
    ("/api/study/realtime/rooms/", "post"),
    ("/api/study/realtime/rooms/{room_id}/join/", "post"),
    ("/api/study/realtime/learning/start_session/", "post"),
    ("/api/notifications/preferences/", "put"),
    ("/api/notifications/devices/", "post"),
    ("/api/personalization/update_pattern/", "post"),
    ("/api/cqrs/subjects/{subject_id}/generate_summary/", "post"),
}

# What a component description must never say: notes on how the code works, written for its
# maintainers (which view validates, which selector answers, `partial=True`...).
INTERNAL_NOTE = re.compile(
    r"\b(views?|services?|selectors?|serializers?)\b|partial=True|for the schema"
    r"|refuses fields it does not declare",
    re.IGNORECASE,
)
# Descriptions of operations and fields may say "the owner's view" of a quiz; code names no.
CODE_NOTE = re.compile(
    r"\b(selectors?|services?)\b|partial=True|for the schema|the view validates"
    r"|\w+\.py\b|`(selectors|services)\.",
    re.IGNORECASE,
)


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema: dict[str, Any]):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def _json_examples(operation: dict[str, Any]) -> dict[str, Any]:
    content = operation.get("requestBody", {}).get("content", {})
    return dict(content.get("application/json", {}).get("examples", {}))


def _descriptions(node: Any):
    if isinstance(node, dict):
        if isinstance(node.get("description"), str):
            yield node["description"]
        for value in node.values():
            yield from _descriptions(value)
    elif isinstance(node, list):
        for value in node:
            yield from _descriptions(value)


# --- summaries ----------------------------------------------------------------------------------


def test_every_operation_has_a_short_one_line_summary(schema):
    missing = []
    for path, method, operation in _operations(schema):
        summary = operation.get("summary") or ""
        if not summary.strip():
            missing.append((method, path))
            continue
        assert "\n" not in summary, (method, path, summary)
        assert len(summary) <= 80, (method, path, summary)
        assert not summary.endswith("."), (method, path, summary)
    assert not missing, f"{len(missing)} operations without a summary: {missing}"


def test_summaries_tell_operations_apart(schema):
    by_summary = defaultdict(list)
    for path, method, operation in _operations(schema):
        by_summary[operation.get("summary")].append((method, path))
    shared = {summary: ops for summary, ops in by_summary.items() if len(ops) > 1}
    # The printable receipt is the same operation under a second path.
    assert set(shared) <= {"Get a payment's receipt"}, shared


def test_operation_descriptions_carry_no_code_notes(schema):
    for path, method, operation in _operations(schema):
        text = f"{operation.get('summary', '')}\n{operation.get('description', '')}"
        assert not CODE_NOTE.search(text), (method, path, text)


# --- components ---------------------------------------------------------------------------------


def test_no_component_description_is_an_internal_note(schema):
    for name, component in schema["components"]["schemas"].items():
        description = component.get("description", "")
        assert not INTERNAL_NOTE.search(description), (name, description)


def test_field_help_texts_carry_no_code_notes(schema):
    for name, component in schema["components"]["schemas"].items():
        for description in _descriptions(component.get("properties", {})):
            assert not CODE_NOTE.search(description), (name, description)


# --- examples -----------------------------------------------------------------------------------


def test_main_request_bodies_carry_examples(schema):
    without = []
    for path, method in sorted(MAIN_REQUEST_BODIES):
        operation = schema["paths"][path][method]
        examples = _json_examples(operation)
        if not examples:
            without.append((method, path))
        for key, example in examples.items():
            assert isinstance(example.get("value"), dict), (method, path, key)
    assert not without, without


def _input_serializers() -> list[type[StrictInputSerializer]]:
    found: list[type[StrictInputSerializer]] = []
    pending = list(StrictInputSerializer.__subclasses__())
    while pending:
        cls = pending.pop()
        found.append(cls)
        pending.extend(cls.__subclasses__())
    return found


def test_every_input_example_passes_its_serializer(schema):
    """Each example is a body the input's own validation accepts (ids may name nothing)."""
    checked = 0
    for cls in _input_serializers():
        for example in get_override(cls, "examples", []):
            serializer = cls(data=copy.deepcopy(example.value))
            assert serializer.is_valid(), (cls.__name__, example.name, serializer.errors)
            checked += 1
    assert checked >= len(MAIN_REQUEST_BODIES)


def _example_values(schema: dict[str, Any], path: str, method: str) -> list[dict[str, Any]]:
    examples = _json_examples(schema["paths"][path][method])
    return [copy.deepcopy(example["value"]) for example in examples.values()]


def _with_ids(value: dict[str, Any], **ids: int) -> dict[str, Any]:
    # Examples name ids of a made-up account; this learner's own ids take their place.
    return {key: ids.get(key, item) for key, item in value.items()}


def _sent(client: APIClient, method: str, path: str, body: dict[str, Any], expected: int) -> Any:
    response = getattr(client, method)(path, body, format="json")
    assert response.status_code == expected, (method, path, body, response.content)
    return response.json()


def test_a_new_learner_can_send_the_examples_as_they_are(schema):
    """Through the API, as a client copying the examples from Swagger: register, sign in, and
    create what the first screens of an app create."""
    client = APIClient()
    (registration,) = _example_values(schema, "/api/auth/register/", "post")
    _sent(client, "post", "/api/auth/register/", registration, 201)
    (login,) = _example_values(schema, "/api/auth/login/", "post")
    assert login["email"] == registration["email"]
    tokens = login_tokens(client, login["email"], login["password"])
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")

    (profile,) = _example_values(schema, "/api/auth/profile/", "put")
    updated = _sent(client, "put", "/api/auth/profile/", profile, 200)
    assert updated["profile"]["timezone"] == profile["profile"]["timezone"]

    (subject_body,) = _example_values(schema, "/api/study/subjects/", "post")
    subject = _sent(client, "post", "/api/study/subjects/", subject_body, 201)
    ids = {"subject_id": subject["id"], "subject": subject["id"]}

    for goal in _example_values(schema, "/api/study/goals/", "post"):
        _sent(client, "post", "/api/study/goals/", _with_ids(goal, **ids), 201)
    (log,) = _example_values(schema, "/api/study/progress/", "post")
    progress = _sent(client, "post", "/api/study/progress/", _with_ids(log, **ids), 201)
    assert progress["total_study_minutes"] == log["minutes"]
    (study_settings,) = _example_values(schema, "/api/study/settings/", "put")
    _sent(client, "put", "/api/study/settings/", study_settings, 200)

    summary_body = _example_values(schema, "/api/study/generate-summary/", "post")[0]
    summary = _sent(
        client, "post", "/api/study/generate-summary/", _with_ids(summary_body, **ids), 202
    )
    assert summary["summary_type"] == summary_body["summary_type"]

    for quiz_body in _example_values(schema, "/api/quiz/quizzes/", "post"):
        quiz = _sent(client, "post", "/api/quiz/quizzes/", _with_ids(quiz_body, **ids), 201)
        assert len(quiz["questions"]) == len(quiz_body.get("questions", []))

    for room_body in _example_values(schema, "/api/study/realtime/rooms/", "post"):
        _sent(client, "post", "/api/study/realtime/rooms/", _with_ids(room_body, **ids), 201)
    (session_body,) = _example_values(schema, "/api/study/realtime/learning/start_session/", "post")
    path = "/api/study/realtime/learning/start_session/"
    _sent(client, "post", path, _with_ids(session_body, **ids), 201)

    for preferences in _example_values(schema, "/api/notifications/preferences/", "put"):
        _sent(client, "put", "/api/notifications/preferences/", preferences, 200)
    (device,) = _example_values(schema, "/api/notifications/devices/", "post")
    _sent(client, "post", "/api/notifications/devices/", device, 201)
