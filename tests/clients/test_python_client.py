"""openapi-python-client generates a complete, typed client from the schema.

Complete: the generator reports no error or warning (nothing skipped or dropped), every operation
of the schema has its endpoint module and every component its model. Typed: the generated
`_parse_response` of every operation turns each success status into a model or another typed
value (a list of models, `response.text` for a text stream, a `File` for a download), never
`cast(Any, None)`; only statuses without a body (204, 205, 304, and those the schema declares
without content) are exempt. And the package imports.
"""

from __future__ import annotations

import ast
import importlib
import json
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.clients.generated import PACKAGE, SCHEMA_FILE, generate_python_client

pytestmark = pytest.mark.django_db

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
BODILESS = {204, 205, 304}


@pytest.fixture(scope="module")
def client_package(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return generate_python_client(tmp_path_factory.mktemp("python-client"))


@pytest.fixture(scope="module")
def schema(client_package: Path) -> dict[str, object]:
    loaded: dict[str, object] = json.loads((client_package.parent / SCHEMA_FILE).read_text())
    return loaded


def _endpoint_modules(package: Path) -> list[Path]:
    return sorted(p for p in (package / "api").rglob("*.py") if p.name != "__init__.py")


def _parse_response(module: Path) -> ast.FunctionDef:
    tree = ast.parse(module.read_text())
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name == "_parse_response":
            return node
    raise AssertionError(f"{module.name} has no _parse_response")


def _status_branches(function: ast.FunctionDef) -> Iterator[tuple[int, ast.If]]:
    """`if response.status_code == N:` branches."""
    for node in ast.walk(function):
        if not isinstance(node, ast.If) or not isinstance(node.test, ast.Compare):
            continue
        left, (right,) = node.test.left, node.test.comparators
        if (
            isinstance(left, ast.Attribute)
            and left.attr == "status_code"
            and isinstance(right, ast.Constant)
            and isinstance(right.value, int)
        ):
            yield right.value, node


def _is_typed(branch: ast.If) -> bool:
    for node in ast.walk(branch):
        if isinstance(node, ast.Attribute) and node.attr in {"from_dict", "text"}:
            return True
        # A file download: `File(payload=BytesIO(response.content))`.
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "File"
        ):
            return True
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id == "cast"
            and not (isinstance(node.args[0], ast.Name) and node.args[0].id == "Any")
        ):
            return True
    return False


def test_every_operation_has_an_endpoint_module(
    client_package: Path, schema: dict[str, object]
) -> None:
    paths = schema["paths"]
    assert isinstance(paths, dict)
    operation_ids = {
        operation["operationId"]
        for item in paths.values()
        for method, operation in item.items()
        if method in HTTP_METHODS
    }
    modules = {module.stem for module in _endpoint_modules(client_package)}
    assert len(operation_ids) == len(modules) > 100


def test_every_component_has_a_model(client_package: Path, schema: dict[str, object]) -> None:
    components = schema["components"]
    assert isinstance(components, dict)
    exported = ast.literal_eval(
        next(
            node.value
            for node in ast.parse((client_package / "models" / "__init__.py").read_text()).body
            if isinstance(node, ast.Assign)
            and any(isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets)
        )
    )
    # `NullEnum` (the null of a nullable choice: `type: null`) is None in Python, not a model; a
    # bare `oneOf` (a login's answer: the token pair or an MFA challenge) is a Union of the models
    # it names, which must then be models themselves.
    schemas = components["schemas"]
    unions = {n: c["oneOf"] for n, c in schemas.items() if set(c) == {"oneOf"}}
    named = {n for n, c in schemas.items() if c.get("type") != "null" and n not in unions}
    assert named <= set(exported)
    members = {ref["$ref"].rsplit("/", 1)[-1] for options in unions.values() for ref in options}
    assert members <= set(exported)


def _declared_without_body(schema: dict[str, object]) -> set[str]:
    """`"<operationId> <status>"` of the responses the schema declares with no content (an
    accepted reset or resend: 202 with only `Location`)."""
    paths = schema["paths"]
    assert isinstance(paths, dict)
    return {
        f"{operation['operationId']} {status}"
        for item in paths.values()
        for method, operation in item.items()
        if method in HTTP_METHODS
        for status, response in operation["responses"].items()
        if "content" not in response
    }


def test_every_success_response_is_typed(client_package: Path, schema: dict[str, object]) -> None:
    without_body = _declared_without_body(schema)
    untyped = []
    for module in _endpoint_modules(client_package):
        successes = [
            (status, branch)
            for status, branch in _status_branches(_parse_response(module))
            if 200 <= status < 300 or status == 304
        ]
        assert successes, f"{module.stem} parses no success status"
        untyped += [
            f"{module.stem} {status}"
            for status, branch in successes
            if status not in BODILESS
            and f"{module.stem} {status}" not in without_body
            and not _is_typed(branch)
        ]
    assert untyped == []


def test_error_responses_are_typed_envelopes(client_package: Path) -> None:
    module = client_package / "api" / "study" / "study_generate_summary_create.py"
    branches = dict(_status_branches(_parse_response(module)))
    for status in (400, 401, 402, 404, 409, 422, 429, 503):
        assert _is_typed(branches[status]), status
    source = module.read_text()
    assert "InsufficientCreditsErrorEnvelope.from_dict" in source


def test_the_package_imports(client_package: Path) -> None:
    sys.path.insert(0, str(client_package.parent))
    try:
        client = importlib.import_module(PACKAGE)
        models = importlib.import_module(f"{PACKAGE}.models")
        endpoint = importlib.import_module(f"{PACKAGE}.api.study.study_generate_summary_create")
    finally:
        sys.path.remove(str(client_package.parent))
        # Another test may import a client generated elsewhere under the same name.
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]
    assert hasattr(client, "AuthenticatedClient")
    assert models.InsufficientCreditsErrorCode("insufficient_credits").value == (
        "insufficient_credits"
    )
    assert callable(endpoint.sync_detailed)
