"""Hostile bodies and stored payloads: oversized and deeply nested JSON are refused in the error
envelope (never a 500), and script/SQL text is stored verbatim and only ever rendered escaped."""

from __future__ import annotations

import json
from typing import Any

import pytest
from asgiref.sync import async_to_sync
from asgiref.testing import ApplicationCommunicator
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from study.models import Subject
from studymate_api.asgi import application as asgi_application
from subscription.models import Payment
from tests.conftest import admin_signed_in, login_tokens
from tests.factories import UserFactory
from tests.realtime.learning_support import learning_socket, next_event
from tests.realtime.room_support import reset_channel_layers
from tests.security.conftest import assert_envelope, bearer_client

pytestmark = pytest.mark.django_db

PAYLOAD = "<script>alert(1)</script>' OR 1=1 --"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;&#x27; OR 1=1 --"
SUBJECTS = "/api/study/subjects/"


@pytest.fixture
def client(user: User) -> APIClient:
    return bearer_client(user)


def test_a_body_over_the_limit_is_413(client: APIClient, user: User, settings: Any) -> None:
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = {"name": "big", "description": "x" * (limit + 1)}
    assert_envelope(client.post(SUBJECTS, body, format="json"), 413, "payload_too_large")
    assert not Subject.objects.filter(created_by=user).exists()


def _asgi_post_without_length(path: str, body: bytes, token: str) -> tuple[int, bytes]:
    """A chunked upload: no Content-Length, the body arrives in several ASGI messages."""

    async def scenario() -> tuple[int, bytes]:
        scope = {
            "type": "http", "http_version": "1.1", "method": "POST", "path": path,
            "raw_path": path.encode(), "query_string": b"", "root_path": "", "scheme": "http",
            "server": ("testserver", 80), "client": ("127.0.0.1", 5555),
            "headers": [
                (b"host", b"testserver"), (b"content-type", b"application/json"),
                (b"authorization", f"Bearer {token}".encode()),
                (b"transfer-encoding", b"chunked"),
            ],
        }  # fmt: skip
        app = ApplicationCommunicator(asgi_application, scope)
        step = 256 * 1024
        for start in range(0, len(body), step):
            more = start + step < len(body)
            await app.send_input(
                {"type": "http.request", "body": body[start : start + step], "more_body": more}
            )
        start_message = await app.receive_output(timeout=10)
        chunks = []
        while True:
            message = await app.receive_output(timeout=10)
            chunks.append(message.get("body", b""))
            if not message.get("more_body"):
                break
        return int(start_message["status"]), b"".join(chunks)

    return async_to_sync(scenario)()


@pytest.mark.django_db(transaction=True)
def test_a_chunked_body_over_the_limit_is_413(settings: Any) -> None:
    user = UserFactory.create()
    token = str(login_tokens(APIClient(), user.email)["access"])
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
    body = json.dumps({"name": "big", "description": "x" * (limit + 1)}).encode()
    status, content = _asgi_post_without_length(SUBJECTS, body, token)
    assert status == 413, content[:300]
    assert json.loads(content)["error"]["code"] == "payload_too_large"
    assert not Subject.objects.filter(created_by=user).exists()


@pytest.mark.parametrize("depth", [1_000, 10_000, 100_000])
@pytest.mark.parametrize("opener", ["[", '{"a":'])
def test_deeply_nested_json_is_a_400_not_a_crash(
    client: APIClient, user: User, depth: int, opener: str
) -> None:
    closer = "]" if opener == "[" else "}"
    body = opener * depth + "1" + closer * depth
    for path in (SUBJECTS, "/api/auth/profile/", "/api/quiz/quizzes/"):
        method = client.patch if path.endswith("profile/") else client.post
        response = method(path, body, content_type="application/json")
        assert_envelope(response, 400, "parse_error")
    assert not Subject.objects.filter(created_by=user).exists()


def test_script_and_sql_text_is_stored_and_returned_verbatim(client: APIClient, user: User) -> None:
    created = client.post(SUBJECTS, {"name": PAYLOAD, "description": PAYLOAD}, format="json")
    assert created.status_code == 201, created.content
    assert created["Content-Type"].startswith("application/json")
    subject = Subject.objects.get(created_by=user)
    assert (subject.name, subject.description) == (PAYLOAD, PAYLOAD)
    assert client.get(f"{SUBJECTS}{subject.pk}/").json()["name"] == PAYLOAD
    listed = client.get(SUBJECTS, {"search": "' OR 1=1 --"}).json()
    assert [row["name"] for row in listed["results"]] == [PAYLOAD]
    # The SQL in the search term is a string to match, not SQL: nothing else comes back.
    Subject.objects.create(name="Algebra", created_by=user, is_public=True)
    assert client.get(SUBJECTS, {"search": "x' OR 1=1 --"}).json()["count"] == 0


@pytest.fixture
def staff_client(db: Any) -> Client:
    admin = UserFactory.create(is_staff=True, is_superuser=True)
    client = Client()
    admin_signed_in(client, admin)
    return client


def test_admin_renders_stored_payloads_escaped(staff_client: Client, user: User) -> None:
    subject = Subject.objects.create(name=PAYLOAD, description=PAYLOAD, created_by=user)
    for url in (
        "/admin/study/subject/",
        f"/admin/study/subject/{subject.pk}/change/",
        f"/admin/study/subject/?q={PAYLOAD}",
    ):
        page = staff_client.get(url)
        assert page.status_code == 200, url
        html = page.content.decode()
        assert "<script>alert(1)</script>" not in html, url
        assert "alert(1)" in html, url  # it is shown, escaped


def test_the_dashboard_page_renders_no_user_data(user: User) -> None:
    Subject.objects.create(name=PAYLOAD, created_by=user)
    client = Client()
    client.force_login(user)
    page = client.get("/dashboard/realtime/")
    assert page.status_code == 200
    html = page.content.decode()
    assert "alert(1)" not in html
    assert user.email not in html
    csp = page["Content-Security-Policy"]
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp


def test_the_html_receipt_escapes_stored_text(client: APIClient, user: User) -> None:
    payment = Payment.objects.create(
        user=user, currency="usd", total=999, amount_paid=999, paid_at=timezone.now(),
        stripe_invoice_id="in_payload", invoice_number=PAYLOAD,
        line_items=[{"description": PAYLOAD, "quantity": 1, "amount": 999}],
    )  # fmt: skip
    page = client.get(f"/api/subscription/payments/{payment.pk}/receipt.html")
    assert page.status_code == 200, page.content[:300]
    html = page.content.decode()
    assert "<script>alert(1)</script>" not in html
    assert ESCAPED in html


PAGED = ["/api/study/subjects/", "/api/cqrs/subjects/", "/api/study/progress/"]


@pytest.mark.parametrize("page", ["17656455708042787291136", "9" * 5000, "²", "0", "-1"])
def test_an_impossible_page_number_is_404(client: APIClient, page: str) -> None:
    """Found by schemathesis: a page number past the database's integers crashed the query."""
    for path in PAGED:
        assert_envelope(client.get(path, {"page": page}), 404, "not_found")


ID_FILTERS = [
    ("/api/study/summaries/", "subject"),
    ("/api/study/goals/", "subject"),
    ("/api/cqrs/study-summaries/", "subject"),
    ("/api/quiz/quizzes/", "subject"),
    ("/api/quiz/questions/", "quiz"),
]


def test_an_id_past_the_database_integers_is_refused_or_not_found(client: APIClient) -> None:
    """An id filter on a foreign-key column past 64 bits overflowed the query (a 500); it is a
    400 on that parameter, and such an id in the path is 404."""
    huge = str(2**70)
    for path, name in ID_FILTERS:
        body = assert_envelope(client.get(path, {name: huge}), 400, "validation_error")
        assert name in body["error"]["fields"], path
    assert_envelope(client.get(f"/api/study/progress/{huge}/"), 404, "not_found")


@pytest.mark.django_db(transaction=True)
def test_a_deeply_nested_websocket_frame_is_invalid_json() -> None:
    """5,000 levels fit in the frame size limit but not in the json module's recursion."""
    user = UserFactory.create()
    reset_channel_layers()

    async def scenario() -> tuple[dict[str, Any], dict[str, Any]]:
        socket = learning_socket(user)
        accepted, _ = await socket.connect()
        assert accepted
        await socket.send_to(text_data="[" * 5_000 + "]" * 5_000)
        nested = await next_event(socket, "error")
        await socket.send_json_to({"type": "nonsense"})
        after = await next_event(socket, "error")
        await socket.disconnect()
        return nested, after

    nested, after = async_to_sync(scenario)()
    reset_channel_layers()
    assert nested["code"] == "invalid_json"
    assert after["code"] == "unknown_type"  # the socket still answers
