"""How far the API's answers stray from its OpenAPI schema, per role, found by schemathesis.

    .venv/bin/python bench/schema_conformance.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/studymate_conformance \\
        .venv/bin/python bench/schema_conformance.py --max-examples 40 --report /tmp/report.json

What runs: a temporary database (a SQLite file in a temporary directory, or a fresh PostgreSQL
database `<DATABASE_URL's name>_<random>`, dropped at the end; PostgreSQL is where integer
overflow and other database errors show) is migrated, and a learner and a staff user are
registered. The schema is read from the app itself (`/api/schema/`, as a client would fetch it)
and not altered. Then, for each role and every operation, schemathesis runs its three phases
(the schema's examples, boundary-value coverage, then `--max-examples` random cases, valid and
invalid data alike, derandomized), each request sent in-process through the WSGI application
with a fresh access token of that role. The data the fuzzer creates stays, so later operations
find real ids.

Every response is checked (no check stops the run): its status code must be documented for the
operation, its body must match the documented schema for that status, its content type must be
documented and the response headers the schema marks required must be there. Printed per role:
the distinct undocumented (operation, status) pairs and the distinct shape failures (operation,
status, the failing JSON Schema keyword or header/content type), each with one example request;
`--report` also writes them as JSON.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import secrets
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

PROJECT_DIR = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_DIR))

# Production-like settings; throttle rates high enough that they never hide an operation's own
# answers behind a 429 (which the schema documents anyway).
BENCH_ENV = {
    "DJANGO_SETTINGS_MODULE": "studymate_api.settings",
    "DEBUG": "false",
    "SECRET_KEY": "bench-" + "k" * 60,
    "ALLOWED_HOSTS": "127.0.0.1,localhost",
    "SECURE_SSL_REDIRECT": "false",
    "SECURE_HSTS_SECONDS": "0",
    "SECURE_HSTS_PRELOAD": "false",
    "THROTTLE_USER_RATE": "1000000/min",
    "THROTTLE_ANON_RATE": "1000000/min",
    "THROTTLE_LOGIN_RATE": "1000000/min",
    "THROTTLE_REGISTER_RATE": "1000000/min",
    "THROTTLE_ROOM_INVITE_RATE": "1000000/min",
    "LOG_LEVEL": "CRITICAL",
}
for _name, _value in BENCH_ENV.items():
    os.environ.setdefault(_name, _value)

ROLES = ("learner", "staff")
PASSWORD = "Conformance-Bench-42!"  # noqa: S105 - a throwaway database's users


@contextmanager
def temporary_database() -> Iterator[str]:
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        with tempfile.TemporaryDirectory(prefix="schema-conformance-") as directory:
            yield str(Path(directory) / "conformance.sqlite3")
        return
    import psycopg

    name = f"{urlsplit(url).path.lstrip('/') or 'studymate_conformance'}_{secrets.token_hex(4)}"
    admin = urlunsplit(urlsplit(url)._replace(path="/postgres"))
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        yield name
    finally:
        from django.db import connections

        connections.close_all()
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def start_django(database: str) -> None:
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = database
    settings.DATABASES["default"].pop("TEST", None)
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    # Each refused request logs a warning; thousands of them would bury the report.
    logging.disable(logging.CRITICAL)


def register_users() -> dict[str, Any]:
    from accounts.services import user_register

    learner = user_register(email="learner@bench.example", password=PASSWORD, username="learner")
    staff = user_register(email="staff@bench.example", password=PASSWORD, username="staff")
    staff.is_staff = True
    staff.save(update_fields=["is_staff"])
    return {"learner": learner, "staff": staff}


def load_schema() -> Any:
    import schemathesis
    from werkzeug.test import Client

    from studymate_api.wsgi import application

    response = Client(application).get(
        "/api/schema/?format=json", headers={"Accept-Language": "en"}
    )
    assert response.status_code == 200, response.get_data()[:300]
    loaded = schemathesis.openapi.from_dict(json.loads(response.get_data()))
    loaded.app = application
    return loaded


# --- the run -----------------------------------------------------------------------------------


@dataclass
class Finding:
    key: tuple[str, ...]
    example: str
    count: int = 1


@dataclass
class RoleReport:
    role: str
    requests: int = 0
    statuses: dict[tuple[str, ...], Finding] = field(default_factory=dict)
    shapes: dict[tuple[str, ...], Finding] = field(default_factory=dict)
    errors: dict[tuple[str, ...], Finding] = field(default_factory=dict)

    def add(self, into: dict[tuple[str, ...], Finding], key: tuple[str, ...], example: str) -> None:
        if key in into:
            into[key].count += 1
        else:
            into[key] = Finding(key, example)


def _example(case: Any, response: Any) -> str:
    from schemathesis.core import NotSet

    body = response.content[:300].decode(errors="replace") if response.content else ""
    sent = f" {case.query}" if case.query else ""
    if not isinstance(case.body, NotSet):
        sent += f" body={str(case.body)[:200]}"
    return f"{case.method} {case.formatted_path}{sent} -> {response.status_code} {body}"


def _classify(report: RoleReport, case: Any, response: Any, failures: list[Any]) -> None:
    from schemathesis.openapi.checks import (
        JsonSchemaError,
        MissingHeaders,
        UndefinedContentType,
        UndefinedStatusCode,
    )

    operation = case.operation.label
    status = str(response.status_code)
    example = _example(case, response)
    for failure in failures:
        if isinstance(failure, UndefinedStatusCode):
            report.add(report.statuses, (operation, status), example)
        elif isinstance(failure, JsonSchemaError):
            keyword = "/".join(str(part) for part in failure.schema_path)
            report.add(report.shapes, (operation, status, keyword), example)
        elif isinstance(failure, MissingHeaders):
            missing = ",".join(sorted(failure.missing_headers))
            report.add(report.shapes, (operation, status, f"header {missing}"), example)
        elif isinstance(failure, UndefinedContentType):
            media = response.headers.get("content-type", ["?"])
            report.add(report.shapes, (operation, status, f"content-type {media}"), example)
        else:
            report.add(report.shapes, (operation, status, failure.title), example)


def _collecting_test(report: RoleReport, token_for: Callable[[], str]) -> Callable[[Any], None]:
    from schemathesis.core.failures import Failure, FailureGroup
    from schemathesis.specs.openapi.checks import (
        content_type_conformance,
        response_headers_conformance,
        response_schema_conformance,
        status_code_conformance,
    )

    checks = [
        status_code_conformance,
        response_schema_conformance,
        content_type_conformance,
        response_headers_conformance,
    ]

    def test(case: Any) -> None:
        headers = {"Authorization": f"Bearer {token_for()}", "Accept-Language": "en"}
        report.requests += 1
        try:
            response = case.call(headers=headers)
        except Exception as exc:  # an exception escaping the app is a finding too
            key = (case.operation.label, type(exc).__name__)
            report.add(report.errors, key, f"{case.method} {case.formatted_path}: {exc!r}"[:400])
            return
        try:
            case.validate_response(response, checks=checks, headers=headers)
        except FailureGroup as group:
            _classify(report, case, response, list(group.exceptions))
        except Failure as failure:
            _classify(report, case, response, [failure])

    return test


def run_role(schema: Any, role: str, user: Any, max_examples: int) -> RoleReport:
    from hypothesis import HealthCheck, settings
    from rest_framework_simplejwt.tokens import AccessToken
    from schemathesis.generation.feedback import FeedbackSources
    from schemathesis.pytest._test_builder import build_operation_test

    report = RoleReport(role)
    # A fresh token per request: a run outlasts the access token's lifetime.
    test = _collecting_test(report, lambda: str(AccessToken.for_user(user)))
    hypothesis_settings = settings(
        max_examples=max_examples,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=list(HealthCheck),
    )
    configured = hypothesis_settings(test)
    for result in schema.get_all_operations():
        operation = result.ok()
        built = build_operation_test(
            config=schema.config,
            operation=operation,
            test_func=configured,
            given_kwargs={},
            feedback=FeedbackSources(),
        )
        built()
    return report


# --- the report --------------------------------------------------------------------------------


def print_report(reports: list[RoleReport], seconds: float) -> None:
    for report in reports:
        print(f"\n== {report.role}: {report.requests} requests")
        print(f"undocumented (operation, status) pairs: {len(report.statuses)}")
        for finding in sorted(report.statuses.values(), key=lambda f: f.key):
            print(f"  {' '.join(finding.key)} x{finding.count}\n      e.g. {finding.example}")
        print(f"shape failures (operation, status, keyword): {len(report.shapes)}")
        for finding in sorted(report.shapes.values(), key=lambda f: f.key):
            print(f"  {' | '.join(finding.key)} x{finding.count}\n      e.g. {finding.example}")
        if report.errors:
            print(f"exceptions escaping the app: {len(report.errors)}")
            for finding in report.errors.values():
                print(f"  {' '.join(finding.key)}: {finding.example}")
    print("\nrole      requests  undocumented-status  shape-failures  exceptions")
    for report in reports:
        print(
            f"{report.role:<9} {report.requests:>8}  {len(report.statuses):>19}  "
            f"{len(report.shapes):>14}  {len(report.errors):>10}"
        )
    print(f"({seconds:.0f} s)")


def report_json(reports: list[RoleReport]) -> dict[str, Any]:
    def findings(into: dict[tuple[str, ...], Finding]) -> list[dict[str, Any]]:
        return [
            {"key": list(f.key), "count": f.count, "example": f.example}
            for f in sorted(into.values(), key=lambda f: f.key)
        ]

    return {
        r.role: {
            "requests": r.requests,
            "undocumented_status": findings(r.statuses),
            "shape_failures": findings(r.shapes),
            "exceptions": findings(r.errors),
        }
        for r in reports
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--max-examples", type=int, default=30, help="random cases per operation")
    parser.add_argument("--roles", default=",".join(ROLES), help="comma-separated: learner,staff")
    parser.add_argument("--report", type=Path, help="also write the findings as JSON here")
    args = parser.parse_args()

    started = time.monotonic()
    with temporary_database() as database:
        start_django(database)
        users = register_users()
        schema = load_schema()
        reports = [
            run_role(schema, role, users[role], args.max_examples) for role in args.roles.split(",")
        ]
    print_report(reports, time.monotonic() - started)
    if args.report:
        args.report.write_text(json.dumps(report_json(reports), indent=2))


if __name__ == "__main__":
    main()
