"""A learner's journey as a real client app makes it: a real daphne (plus, with Redis, a real
Celery worker and the `stream` process), driven only through a Python client that
openapi-python-client generates from the schema the server itself serves, and through a
`websockets` client that sends no `Origin` header, as native apps connect.

The one raw HTTP request of the journey is the summary's event stream: a generated client cannot
read server-sent events, so it is read as a browser's `EventSource` would, with a stream ticket in
the URL and no Authorization header.

Needs DATABASE_URL (PostgreSQL: the server's own throwaway database); REDIS_URL adds the worker
and the stream process.
"""

from __future__ import annotations

import asyncio
import importlib
import json
import os
import secrets
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager, AsyncExitStack, ExitStack
from dataclasses import dataclass, field
from types import ModuleType
from typing import Any
from urllib.parse import urljoin

import httpx
import pytest
from websockets.asyncio.client import ClientConnection, connect
from websockets.exceptions import ConnectionClosed
from websockets.protocol import State

from tests.clients.generated import PACKAGE, generate_python_client
from tests.e2e.harness import (
    running_server,
    running_stream_process,
    running_worker,
    server_env,
)
from tests.study.conftest import ENGLISH_TEXT

pytestmark = pytest.mark.e2e

HAS_REDIS = bool(os.environ.get("REDIS_URL", "").strip())
PASSWORD = "Correct-horse-42"
# How long a socket may outlive its logout ("within a few seconds" in API.md).
REVOCATION_SECONDS = 5.0


# --- the server and the generated client --------------------------------------------------------


@pytest.fixture(scope="module")
def base_url(e2e_database_url: str) -> Iterator[str]:
    # The journey pays for its quiz: the local provider that answers it costs credits here.
    env = server_env(DATABASE_URL=e2e_database_url, BILLING_LOCAL_PROVIDER_FREE="false")
    processes: list[AbstractContextManager[Any]] = [running_server(env)]
    if HAS_REDIS:  # summaries run on the worker, live metrics come from the stream process
        processes += [running_worker(env), running_stream_process(env)]
    with ExitStack() as stack, ThreadPoolExecutor() as pool:
        # Started side by side (each waits for its own readiness); whichever started is stopped
        # again by the stack, also when another failed to start.
        started = [pool.submit(stack.enter_context, process) for process in processes]
        url = started[0].result()
        for process in started[1:]:
            process.result()
        yield url


@pytest.fixture(scope="module")
def sdk(base_url: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[ModuleType]:
    """The package openapi-python-client generates from the schema this server serves."""
    schema = httpx.get(f"{base_url}/api/schema/", params={"format": "json"}, timeout=30)
    assert schema.status_code == 200, schema.text
    package = generate_python_client(tmp_path_factory.mktemp("client"), schema.content)
    sys.path.insert(0, str(package.parent))
    try:
        yield importlib.import_module(PACKAGE)
    finally:
        sys.path.remove(str(package.parent))
        for name in [n for n in sys.modules if n == PACKAGE or n.startswith(f"{PACKAGE}.")]:
            del sys.modules[name]


@dataclass
class App:
    """What a client app holds: the generated SDK and, once signed in, the learner's client."""

    sdk: ModuleType
    base_url: str
    client: Any = None
    account: Any = None  # the generated AuthOutput of the sign-up
    models: ModuleType = field(init=False)

    def __post_init__(self) -> None:
        self.models = importlib.import_module(f"{PACKAGE}.models")

    def call(self, operation: str, status: int, **arguments: Any) -> Any:
        """`operation` (the generated module's name) through its `sync_detailed`; asserts the
        status and returns the generated Response (`.parsed` is the typed body)."""
        module = importlib.import_module(f"{PACKAGE}.api.{operation.split('_')[0]}.{operation}")
        client = arguments.pop("client", self.client)
        response = module.sync_detailed(client=client, **arguments)
        assert response.status_code == status, (operation, response.status_code, response.content)
        return response

    def sign_up(self, name: str) -> None:
        tag = secrets.token_hex(4)
        body = self.models.RegisterInputRequest(
            email=f"{name}-{tag}@example.com", username=f"{name}_{tag}", password=PASSWORD
        )
        with self.sdk.Client(base_url=self.base_url, raise_on_unexpected_status=True) as anonymous:
            registered = self.call("auth_register_create", 201, client=anonymous, body=body)
        self.account = registered.parsed
        assert isinstance(self.account, self.models.AuthOutput)
        assert self.account.user.email == body.email
        self.client = self.sdk.AuthenticatedClient(
            base_url=self.base_url,
            token=self.account.access,
            headers={"Accept-Language": "en"},
            raise_on_unexpected_status=True,  # a status the schema does not document fails
        )

    def close(self) -> None:
        if self.client is not None:
            self.client.get_httpx_client().close()

    def socket_url(self, websocket_url: str) -> str:
        """`websocket_url` as the API hands it out (absolute or a path), with the token."""
        absolute = urljoin(self.base_url.replace("http://", "ws://", 1), websocket_url)
        return f"{absolute}?token={self.account.access}"


@pytest.fixture
def alice(sdk: ModuleType, base_url: str) -> Iterator[App]:
    app = App(sdk, base_url)
    yield app
    app.close()


@pytest.fixture
def bob(sdk: ModuleType, base_url: str) -> Iterator[App]:
    app = App(sdk, base_url)
    yield app
    app.close()


# --- server-sent events, read as a browser's EventSource reads them --------------------------


@dataclass(frozen=True)
class ServerSentEvent:
    event: str
    data: dict[str, Any]
    id: str | None


def read_event_stream(url: str) -> list[ServerSentEvent]:
    events: list[ServerSentEvent] = []
    headers = {"Accept": "text/event-stream"}
    with httpx.stream("GET", url, headers=headers, timeout=30) as response:
        assert "authorization" not in response.request.headers
        assert response.status_code == 200, response.read()
        assert response.headers["content-type"].startswith("text/event-stream")
        lines: dict[str, str] = {}
        for line in response.iter_lines():
            if line:
                name, _, value = line.partition(":")
                lines[name] = value.removeprefix(" ")
                continue
            if "data" in lines:  # a `retry:` hint alone dispatches nothing
                events.append(
                    ServerSentEvent(
                        lines.get("event", "message"), json.loads(lines["data"]), lines.get("id")
                    )
                )
            lines = {}
    return events


# --- sockets without Origin ---------------------------------------------------------------------


async def open_socket(sockets: AsyncExitStack, url: str) -> ClientConnection:
    socket = await sockets.enter_async_context(connect(url, open_timeout=10, proxy=None))
    # What a native app sends: no Origin header at all (websockets adds one only if asked).
    assert "Origin" not in socket.request.headers  # type: ignore[union-attr]
    return socket


async def next_message(
    socket: ClientConnection, kind: str, timeout: float = 10.0, **expected: Any
) -> dict[str, Any]:
    """The next message of `kind` whose fields include `expected`, skipping others."""
    async with asyncio.timeout(timeout):
        while True:
            message = json.loads(await socket.recv())
            if message["type"] == kind and all(message.get(k) == v for k, v in expected.items()):
                return dict(message)


async def close_code(socket: ClientConnection, timeout: float) -> int | None:
    """Reads until the server closes the socket; its close code."""
    try:
        async with asyncio.timeout(timeout):
            while True:
                await socket.recv()
    except ConnectionClosed:
        pass
    return socket.close_code


# --- the journey ------------------------------------------------------------------------------


def test_a_learner_journey_through_the_generated_client(alice: App, bob: App) -> None:
    models = alice.models

    # Sign up and create a subject.
    alice.sign_up("alice")
    subject = alice.call(
        "study_subjects_create", 201, body=models.SubjectInputRequest(name="French Revolution")
    ).parsed
    assert isinstance(subject, models.SubjectOutput)
    assert subject.name == "French Revolution"

    # A summary, followed live through its event stream with a ticket (as EventSource would).
    requested = alice.call(
        "study_generate_summary_create",
        202,
        body=models.SummaryRequestInputRequest(
            subject_id=subject.id, content=ENGLISH_TEXT, summary_type=models.SummaryTypeEnum.BRIEF
        ),
    )
    summary = requested.parsed
    assert isinstance(summary, models.SummaryOutput)
    assert requested.headers["Location"].endswith(f"/api/study/summaries/{summary.id}/")
    ticket = alice.call("study_summaries_stream_ticket_create", 200, summary_id=summary.id).parsed
    assert isinstance(ticket, models.SummaryStreamTicketOutput)
    stream_path = f"/api/study/summaries/{summary.id}/stream/"
    assert ticket.stream_url.startswith(f"{alice.base_url}{stream_path}?ticket=")
    events = read_event_stream(ticket.stream_url)
    done = events[-1]
    assert done.event == "done", events
    assert [e.event for e in events[:-1]] == ["token"] * (len(events) - 1)
    positions = [int(e.id) for e in events if e.id is not None]
    assert len(positions) == len(events)
    assert positions == sorted(positions)
    assert models.SummaryOutput.from_dict(done.data).status == "completed"
    # The ticket was for one opening only.
    assert httpx.get(ticket.stream_url, timeout=10).status_code == 401
    stored = alice.call("study_summaries_retrieve", 200, summary_id=summary.id).parsed
    assert stored.status == models.SummaryOutputStatusEnum.COMPLETED
    assert stored.summary == done.data["summary"]

    # Quiz generation, retried by a flaky network with the same Idempotency-Key: one quiz, one
    # charge. The worker generates it (eager Celery: before the answer); the app reads it again
    # at its Location until it is ready.
    before = alice.call("subscription_credits_retrieve", 200).parsed
    generate = models.QuizGenerateInputRequest(
        subject_id=subject.id,
        source_text=ENGLISH_TEXT,
        num_questions=3,
        question_types=[models.QuestionTypesEnum.MULTIPLE_CHOICE],
    )
    key = f"journey-{secrets.token_hex(8)}"
    first = alice.call("quiz_quizzes_generate_create", 202, body=generate, idempotency_key=key)
    quiz = first.parsed
    assert isinstance(quiz, models.QuizOutput)
    assert first.headers["Location"].endswith(f"/api/quiz/quizzes/{quiz.id}/")
    deadline = time.monotonic() + 60
    while quiz.generation_status == models.GenerationStatusEnum.PENDING:
        assert time.monotonic() < deadline, "the worker did not generate the quiz within 60 s"
        time.sleep(0.2)
        quiz = alice.call("quiz_quizzes_retrieve", 200, quiz_id=quiz.id).parsed
    assert quiz.generation_status == models.GenerationStatusEnum.READY
    after_first = alice.call("subscription_credits_retrieve", 200).parsed
    retry = alice.call("quiz_quizzes_generate_create", 202, body=generate, idempotency_key=key)
    after_retry = alice.call("subscription_credits_retrieve", 200).parsed
    assert "Idempotent-Replayed" not in first.headers
    assert retry.headers["Idempotent-Replayed"] == "true"
    assert isinstance(retry.parsed, models.QuizOutput)
    assert retry.parsed.id == quiz.id
    assert isinstance(before, models.CreditsOutput)
    assert after_first.balance < before.balance
    assert after_retry.balance == after_first.balance
    assert after_retry.ledger[0].balance_after == after_first.balance
    assert len(quiz.questions) == 3

    # An attempt: the first question answered right, every other one wrong.
    attempt = alice.call(
        "quiz_quizzes_attempts_create", 201, quiz_id=quiz.id, idempotency_key=f"{key}-attempt"
    ).parsed
    assert isinstance(attempt, models.AttemptStartOutput)
    assert {q.id for q in attempt.questions} == {q.id for q in quiz.questions}
    correct_choice = {q.id: next(c.id for c in q.choices if c.is_correct) for q in quiz.questions}
    for number, question in enumerate(attempt.questions):
        right = correct_choice[question.id]
        choice = right if number == 0 else next(c.id for c in question.choices if c.id != right)
        answer = alice.call(
            "quiz_submit_answer_create",
            200,
            body=models.SubmitAnswerInputRequest(
                attempt_id=attempt.id, question_id=question.id, answer=choice
            ),
        ).parsed
        assert isinstance(answer, models.AnswerOutput)
        assert answer.is_correct is (number == 0)
    result = alice.call("quiz_attempts_finish_create", 200, attempt_id=attempt.id).parsed
    assert isinstance(result, models.AttemptOutput)
    assert result.finished_at is not None
    assert len(result.answers) == 3
    assert 0 < result.score < result.max_score

    # The review: each wrong answer became a due card (from a task: with Redis, the worker's).
    wrong = {q.id for number, q in enumerate(attempt.questions) if number > 0}
    cards = wait_for_question_cards(alice, wrong)
    rated = alice.call(
        "personalization_reviews_create",
        200,
        card_id=cards[0].id,
        body=models.ReviewRateInputRequest(rating=models.RatingEnum.GOOD),
    ).parsed
    assert isinstance(rated, models.ReviewCardOutput)
    assert (rated.id, rated.reps) == (cards[0].id, 1)
    assert rated.due > cards[0].due
    assert rated.answer is not None  # the back of the card, shown once rated

    # A live session, a study room with bob, then logout: sockets open throughout.
    session = alice.call(
        "study_realtime_learning_start_session_create",
        201,
        body=models.StartSessionInputRequest(subject_id=subject.id),
    ).parsed
    assert isinstance(session, models.StartSessionOutput)
    bob.sign_up("bob")
    room = alice.call(
        "study_realtime_rooms_create",
        201,
        body=models.RoomCreateInputRequest(name="Revolution revision", is_public=False),
    ).parsed
    assert isinstance(room, models.RoomOutput)
    assert room.is_owner
    joined = bob.call(
        "study_realtime_rooms_join_create",
        200,
        room_id=room.id,
        body=models.RoomJoinInputRequest(invite_code=room.invite_code),
    ).parsed
    assert (joined.id, joined.is_member, joined.member_count) == (room.id, True, 2)

    asyncio.run(live_part(alice, bob, session, room))

    # The access token died with the logout too.
    refused = alice.call("auth_profile_retrieve", 401)
    assert refused.parsed.error.code in {"authentication_failed", "not_authenticated"}


def wait_for_question_cards(app: App, question_ids: set[int], timeout: float = 15.0) -> list[Any]:
    """The due cards of these questions, once all of them are there."""
    deadline = time.monotonic() + timeout
    while True:
        due = app.call("personalization_reviews_due_retrieve", 200).parsed
        assert isinstance(due, app.models.ReviewCardPage)
        kind = app.models.ReviewCardOutputKindEnum.QUESTION
        cards = [card for card in due.results if card.kind == kind]
        if {card.question.id for card in cards} == question_ids:
            return cards
        assert time.monotonic() < deadline, f"due question cards: {cards}"
        time.sleep(0.2)


async def live_part(alice: App, bob: App, session: Any, room: Any) -> None:
    """The sockets: live metrics, a room chat, and what logout does to them."""
    async with AsyncExitStack() as sockets:
        session_id = str(session.session_id)
        learning = await open_socket(sockets, alice.socket_url(session.websocket_url))
        await next_message(learning, "metrics")  # the snapshot on connect
        activity = {"type": "activity", "session_id": session_id, "event": "answer", "ref": 1}
        await learning.send(json.dumps({**activity, "data": {"correct": True}}))
        metrics = await next_message(learning, "metrics", ref=1)
        assert (metrics["session_id"], metrics["answers"]) == (session_id, 1)
        assert isinstance(metrics["focus_score"], float | int)

        alice_room = await open_socket(sockets, alice.socket_url(room.websocket_url))
        await next_message(alice_room, "snapshot")
        bob_room = await open_socket(sockets, bob.socket_url(room.websocket_url))
        snapshot = await next_message(bob_room, "snapshot")
        members = {member["id"] for member in snapshot["members"]}
        assert members == {alice.account.user.id, bob.account.user.id}
        await bob_room.send(json.dumps({"type": "chat", "message": "Bastille at 8?"}))
        chat = await next_message(alice_room, "chat")
        assert (chat["user"]["id"], chat["message"]) == (bob.account.user.id, "Bastille at 8?")

        # Logout (with the refresh token) closes alice's sockets within seconds; bob's stays.
        loop = asyncio.get_running_loop()
        logged_out_at = loop.time()
        alice.call(
            "auth_logout_create",
            205,
            body=alice.models.RefreshInputRequest(refresh=alice.account.refresh),
        )
        codes = await asyncio.gather(
            close_code(learning, REVOCATION_SECONDS), close_code(alice_room, REVOCATION_SECONDS)
        )
        assert list(codes) == [4401, 4401]
        assert loop.time() - logged_out_at < REVOCATION_SECONDS
        assert bob_room.state is State.OPEN
