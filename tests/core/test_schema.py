"""The OpenAPI schema validates and documents the error envelope on every operation."""

from __future__ import annotations

import pytest
from drf_spectacular.generators import SchemaGenerator
from drf_spectacular.validation import validate_schema

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "post", "put", "patch", "delete"}


@pytest.fixture(scope="module")
def schema():
    return SchemaGenerator().get_schema(request=None, public=True)


def _operations(schema):
    for path, item in schema["paths"].items():
        for method, operation in item.items():
            if method in HTTP_METHODS:
                yield path, method, operation


def test_schema_is_valid_openapi(schema):
    validate_schema(schema)


def test_every_operation_documents_errors_with_the_envelope(schema):
    for path, method, operation in _operations(schema):
        errors = {code: r for code, r in operation["responses"].items() if code.startswith("4")}
        assert "429" in errors, (path, method)
        for code, response in errors.items():
            if "content" in response:
                ref = response["content"]["application/json"]["schema"]["$ref"]
                assert ref.endswith("/ErrorEnvelope"), (path, method, code)


def test_authenticated_operations_document_401(schema):
    for path, method, operation in _operations(schema):
        if operation.get("security") and {} not in operation["security"]:
            assert "401" in operation["responses"], (path, method)


def test_every_accounts_row_of_the_contract_is_documented(schema):
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
    documented = {(path, method) for path, method, _ in _operations(schema)}
    assert expected <= documented


def test_docs_pages_are_served_without_a_cdn(client):
    docs = client.get("/api/docs/")
    assert docs.status_code == 200
    html = docs.content.decode()
    assert "/static/drf_spectacular_sidecar/" in html
    assert "cdn" not in html.lower()
    assert client.get("/api/redoc/").status_code == 200
    assert client.get("/api/schema/").status_code == 200
