"""The OpenAPI schema: OpenAPI 3.1, clean generation, every error each operation can give in the
envelope with its own `code` enum, the documented headers, one document whatever the language,
and operation text from the view method's docstring (never a serializer's)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from django.apps import apps
from django.core.management import call_command
from django.urls import path
from drf_spectacular.utils import extend_schema
from drf_spectacular.validation import validate_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core import middleware
from studymate_api.core.errors import ApplicationError, Conflict, ErrorCode, InsufficientCredits
from studymate_api.core.schema import EnglishSchemaGenerator, error_component_stem, raises

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}
WRITES = {"post", "put", "patch"}
SCHEMAS = "#/components/schemas/"


@pytest.fixture(scope="module")
def schema() -> dict[str, Any]:
    return EnglishSchemaGenerator().get_schema(request=None, public=True)


@pytest.fixture(scope="module")
def marked() -> dict[str, set[tuple[str, str]]]:
    """(path, method) of the operations whose view method carries each marker."""
    generator = EnglishSchemaGenerator()
    generator._initialise_endpoints()
    found: dict[str, set[tuple[str, str]]] = {"__idempotent__": set(), "__etag__": set()}
    for route, _, method, view in generator._get_paths_and_endpoints():
        handler = getattr(view, method.lower(), None)
        for marker, operations in found.items():
            if getattr(handler, marker, False):
                operations.add((route, method.lower()))
    return found


def _operations(schema: dict[str, Any]) -> Iterator[tuple[str, str, dict[str, Any]]]:
    for route, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield route, method, operation


def _resolve(schema: dict[str, Any], node: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = schema["components"]["schemas"][node["$ref"].removeprefix(SCHEMAS)]
    return node


def _codes(schema: dict[str, Any], response: dict[str, Any]) -> list[str]:
    envelope = _resolve(schema, response["content"]["application/json"]["schema"])
    error = _resolve(schema, envelope["properties"]["error"])
    codes: list[str] = _resolve(schema, error["properties"]["code"])["enum"]
    return codes


def _keys(node: Any) -> Iterator[str]:
    if isinstance(node, dict):
        for key, value in node.items():
            yield key
            yield from _keys(value)
    elif isinstance(node, list):
        for value in node:
            yield from _keys(value)


# --- the document -------------------------------------------------------------------------------


def test_schema_is_valid_openapi_3_1(schema: dict[str, Any]) -> None:
    assert schema["openapi"] == "3.1.0"
    validate_schema(schema)


def test_nullable_fields_are_type_unions(schema: dict[str, Any]) -> None:
    assert "nullable" not in set(_keys(schema))
    page = schema["components"]["schemas"]["PaginatedGoalOutputList"]["properties"]
    assert page["next"]["type"] == ["string", "null"]
    # A nullable any-value is the any-value: `oneOf: [{}, null]` would refuse null.
    answer = schema["components"]["schemas"]["ReviewAnswer"]["properties"]["correct_answer"]
    assert "oneOf" not in answer
    goal = schema["components"]["schemas"]["StartSessionInputRequest"]["properties"]
    assert set(goal["goal_minutes"]["type"]) == {"integer", "null"}


def test_generation_is_clean_with_warnings_fatal() -> None:
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", "/dev/null")


def test_component_names_are_generator_friendly(schema: dict[str, Any]) -> None:
    names = list(schema["components"]["schemas"])
    assert all(re.fullmatch(r"[A-Z][A-Za-z0-9]*", name) for name in names), names
    folded = [re.sub(r"[^a-z0-9]", "", name.lower()) for name in names]
    assert len(set(folded)) == len(folded)
    assert {"RoomOutput", "RoomOwner", "RoomSubject", "SubjectRef"} <= set(names)


def test_the_same_document_whatever_the_language(client: Any) -> None:
    english = client.get("/api/schema/", HTTP_ACCEPT_LANGUAGE="en")
    korean = client.get("/api/schema/", HTTP_ACCEPT_LANGUAGE="ko")
    asked = client.get("/api/schema/?lang=ko", HTTP_ACCEPT_LANGUAGE="ko")
    assert english.status_code == korean.status_code == asked.status_code == 200
    assert english.content == korean.content == asked.content
    assert b"The submitted data is not valid." in english.content


def test_every_accounts_row_of_the_contract_is_documented(schema: dict[str, Any]) -> None:
    expected = {
        ("/api/auth/register/", "post"),
        ("/api/auth/login/", "post"),
        ("/api/auth/refresh/", "post"),
        ("/api/auth/logout/", "post"),
        ("/api/auth/profile/", "get"),
        ("/api/auth/profile/", "put"),
        ("/api/auth/profile/", "patch"),
        ("/api/auth/password/change/", "post"),
        ("/api/auth/login-history/", "get"),
    }
    documented = {(route, method) for route, method, _ in _operations(schema)}
    assert expected <= documented


def test_docs_pages_are_served_without_a_cdn(client: Any) -> None:
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()
    assert client.get("/api/redoc/").status_code == 200
    assert client.get("/api/schema/").status_code == 200


# --- errors -------------------------------------------------------------------------------------


def test_every_error_response_is_an_envelope_with_its_codes(schema: dict[str, Any]) -> None:
    for route, method, operation in _operations(schema):
        errors = {s: r for s, r in operation["responses"].items() if s[0] in "45"}
        assert "503" in errors, (method, route)
        for status, response in errors.items():
            codes = _codes(schema, response)
            assert codes, (method, route, status)
            assert codes == sorted(codes), (method, route, status)
            envelope = response["content"]["application/json"]["schema"]["$ref"]
            assert envelope == f"{SCHEMAS}{error_component_stem(codes)}ErrorEnvelope"
            for code in codes:
                assert f"`{code}`" in response["description"], (method, route, status)


def test_automatic_errors_follow_what_the_view_is(schema: dict[str, Any]) -> None:
    for route, method, operation in _operations(schema):
        responses = operation["responses"]
        where = (method, route)
        if method in WRITES:
            assert _codes(schema, responses["400"]) == ["parse_error", "validation_error"], where
            assert _codes(schema, responses["413"]) == ["payload_too_large"], where
            assert _codes(schema, responses["415"]) == ["unsupported_media_type"], where
        if {} not in operation.get("security", [{}]):
            assert "not_authenticated" in _codes(schema, responses["401"]), where
            assert "WWW-Authenticate" in responses["401"]["headers"], where
        if "{" in route:
            assert "not_found" in _codes(schema, responses["404"]), where
        if "429" in responses:
            assert "Retry-After" in responses["429"]["headers"], where
        assert "service_unavailable" in _codes(schema, responses["503"]), where
        for status in ("201", "202"):
            if status in responses:
                assert responses[status]["headers"]["Location"]["required"] is True, where


def test_declared_errors_are_documented_per_operation(schema: dict[str, Any]) -> None:
    paths = schema["paths"]
    summary = paths["/api/study/generate-summary/"]["post"]["responses"]
    assert _codes(schema, summary["402"]) == ["insufficient_credits"]
    assert _codes(schema, summary["429"]) == ["throttled"]
    session = paths["/api/study/realtime/learning/start_session/"]["post"]["responses"]
    assert _codes(schema, session["409"]) == ["idempotency_in_progress", "session_already_active"]
    leave = paths["/api/study/realtime/rooms/{room_id}/leave/"]["post"]["responses"]
    assert _codes(schema, leave["403"]) == ["not_a_member"]
    assert _codes(schema, leave["409"]) == ["owner_cannot_leave"]
    checkout = paths["/api/subscription/checkout/"]["post"]["responses"]
    assert _codes(schema, checkout["503"]) == ["billing_not_configured", "service_unavailable"]
    # Generated in the background: a provider's failure is the quiz's `generation_error_code`,
    # not the answer's; what can refuse the request itself is as for summaries.
    quiz = paths["/api/quiz/quizzes/generate/"]["post"]["responses"]
    assert _codes(schema, quiz["402"]) == ["insufficient_credits"]
    assert _codes(schema, quiz["429"]) == ["throttled"]
    assert _codes(schema, quiz["422"]) == ["idempotency_key_reused"]
    assert "502" not in quiz
    login = paths["/api/auth/login/"]["post"]["responses"]
    assert _codes(schema, login["401"]) == ["authentication_failed"]
    assert _codes(schema, login["403"]) == ["account_locked"]


def test_idempotent_operations_document_the_key_and_its_answers(
    schema: dict[str, Any], marked: dict[str, set[tuple[str, str]]]
) -> None:
    assert len(marked["__idempotent__"]) >= 5
    for route, method in marked["__idempotent__"]:
        operation = schema["paths"][route][method]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "Idempotency-Key" in headers, (method, route)
        responses = operation["responses"]
        assert "idempotency_in_progress" in _codes(schema, responses["409"]), (method, route)
        assert "Retry-After" in responses["409"]["headers"], (method, route)
        assert "idempotency_key_reused" in _codes(schema, responses["422"]), (method, route)
        success = next(r for s, r in responses.items() if s.startswith("2"))
        assert "Idempotent-Replayed" in success["headers"], (method, route)


def test_cacheable_operations_document_etag_and_304(
    schema: dict[str, Any], marked: dict[str, set[tuple[str, str]]]
) -> None:
    assert len(marked["__etag__"]) >= 5
    for route, method in marked["__etag__"]:
        operation = schema["paths"][route][method]
        headers = {p["name"] for p in operation["parameters"] if p["in"] == "header"}
        assert "If-None-Match" in headers, (method, route)
        responses = operation["responses"]
        assert "content" not in responses["304"], (method, route)
        assert "ETag" in responses["304"]["headers"], (method, route)
        assert "ETag" in responses["200"]["headers"], (method, route)


def _application_errors() -> Iterator[type[ApplicationError]]:
    for config in apps.get_app_configs():
        config.import_models()  # the apps' modules are loaded by now; walk the class tree
    pending = list(ApplicationError.__subclasses__())
    while pending:
        error = pending.pop()
        pending.extend(error.__subclasses__())
        yield error


def test_the_catalogue_lists_every_code(schema: dict[str, Any]) -> None:
    catalogue = {code.value for code in ErrorCode}
    raised = {str(error.code) for error in _application_errors()}
    assert raised <= catalogue
    assert {code for code, _ in middleware._CODES.values()} <= catalogue
    documented = {
        code
        for _, _, operation in _operations(schema)
        for status, response in operation["responses"].items()
        if status[0] in "45"
        for code in _codes(schema, response)
    }
    assert documented <= catalogue
    # Every code a client can meet on the REST API is in the schema somewhere.
    assert {"insufficient_credits", "session_already_active", "room_full", "not_a_member"} < (
        documented
    )


def test_raises_groups_by_status() -> None:
    grouped = raises(InsufficientCredits, Conflict)
    assert sorted(grouped) == [402, 409]


# --- operation text -----------------------------------------------------------------------------


class ProbeInputSerializer(serializers.Serializer[Any]):
    """Internal: this docstring is for maintainers and must not reach the schema."""

    name = serializers.CharField(help_text="Public help text.")


class ProbeApi(APIView):
    """Internal note on the view class."""

    @extend_schema(request=ProbeInputSerializer, responses={200: None})
    def post(self, request: Request) -> Response:
        """Create a probe

        What creating a probe does,
        in two lines.

        And a second paragraph.
        """
        return Response()

    @extend_schema(summary="Explicit summary", description="Explicit text.", responses={200: None})
    def get(self, request: Request) -> Response:
        """Docstring summary

        Docstring text.
        """
        return Response()

    @extend_schema(responses={204: None})
    def delete(self, request: Request) -> Response:
        return Response(status=204)


def _probe_schema() -> dict[str, Any]:
    patterns = [path("probe/", ProbeApi.as_view())]
    return EnglishSchemaGenerator(patterns=patterns).get_schema(request=None, public=True)


def test_summary_and_description_come_from_the_method_docstring() -> None:
    probe = _probe_schema()
    post = probe["paths"]["/probe/"]["post"]
    assert post["summary"] == "Create a probe"
    assert post["description"] == (
        "What creating a probe does,\nin two lines.\n\nAnd a second paragraph."
    )
    get = probe["paths"]["/probe/"]["get"]
    assert (get["summary"], get["description"]) == ("Explicit summary", "Explicit text.")
    delete = probe["paths"]["/probe/"]["delete"]
    assert "summary" not in delete
    assert "description" not in delete  # never the view class's docstring


def test_serializer_docstrings_never_become_descriptions() -> None:
    component = _probe_schema()["components"]["schemas"]["ProbeInputRequest"]
    assert "description" not in component
    assert component["properties"]["name"]["description"] == "Public help text."
