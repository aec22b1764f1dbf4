"""`Idempotency-Key` (studymate_api.core.idempotency) through the HTTP API: replay, 422 for another
request, 409 while the first runs, per user, 24 hours, release on failure, one effect under a
race. The spending endpoints prove "no second effect or charge" on the credits ledger; a
test-only endpoint (tests/core/idempotency_urls.py) scripts the outcomes the real ones cannot.
"""

from __future__ import annotations

import datetime
import json
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import URLPattern, URLResolver, get_resolver
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from quiz.models import Quiz
from study.models import StudySummary
from studymate_api.core.models import AIUsage, IdempotencyKey
from studymate_api.core.tasks import purge_idempotency_keys
from subscription.models import CreditLedger, SubscriptionPlan
from tests.conftest import signed_in_client
from tests.standins.fixtures import ai_isolated  # noqa: F401 - a fixture
from tests.study.conftest import ENGLISH_TEXT, KOREAN_TEXT
from tests.study.factories import SubjectFactory

from .idempotency_urls import URL, script

PROJECT_DIR = Path(__file__).resolve().parents[2]
SUMMARY = "/api/study/generate-summary/"
QUIZ = "/api/quiz/quizzes/generate/"
CREDITS = "/api/subscription/credits/"
ALLOWANCE = 20
DAY = datetime.timedelta(hours=24)

# Every POST that spends credits or money or starts work, as README.md lists them.
IDEMPOTENT_POSTS = {
    "/api/study/generate-summary/",
    "/api/cqrs/subjects/<int:subject_id>/generate_summary/",
    "/api/quiz/quizzes/generate/",
    "/api/quiz/quizzes/<int:quiz_id>/attempts/",
    "/api/quiz/submit-answer/",
    "/api/quiz/attempts/<int:attempt_id>/finish/",
    "/api/subscription/checkout/",
    "/api/subscription/credits/top-up/",
    "/api/subscription/portal/",
    "/api/subscription/cancel/",
    "/api/subscription/resume/",
    "/api/study/realtime/learning/start_session/",
    "/api/study/realtime/rooms/",
    "/api/study/realtime/rooms/<int:room_id>/invite/",
    "/api/auth/account/export/",
}


@pytest.fixture(autouse=True)
def _setup(settings: Any, ai_isolated: Any, celery_in_process: None) -> Iterator[None]:  # noqa: F811
    """The scripted endpoint mounted, generation in process (also with a real broker
    configured), known prices and a known free allowance."""
    settings.ROOT_URLCONF = "tests.core.idempotency_urls"
    settings.BILLING_FREE_PLAN_MONTHLY_CREDITS = ALLOWANCE
    settings.BILLING_AI_CREDIT_COSTS = {
        **settings.BILLING_AI_CREDIT_COSTS,
        "summary": 1,
        "quiz_generation": 2,
    }
    script.reset()
    yield
    script.gate.set()  # never leave a held request behind


@pytest.fixture
def free_plan(db: Any) -> None:
    SubscriptionPlan.objects.filter(code="free").delete()


def post(client: APIClient, path: str, body: Any, key: str | None) -> Any:
    headers: dict[str, Any] = {} if key is None else {"HTTP_IDEMPOTENCY_KEY": key}
    return client.post(path, body, format="json", **headers)


def replayed(response: Any) -> bool:
    return bool(response.get("Idempotent-Replayed") == "true")


def balance(client: APIClient) -> int:
    return int(client.get(CREDITS).json()["balance"])


def ai_charges(user: User) -> int:
    return CreditLedger.objects.filter(user=user, reason="ai_usage").count()


def summary_body(subject_id: int, **overrides: Any) -> dict[str, Any]:
    return {"subject_id": subject_id, "content": ENGLISH_TEXT, "summary_type": "brief", **overrides}


def quiz_body(subject_id: int) -> dict[str, Any]:
    return {"subject_id": subject_id, "source_text": ENGLISH_TEXT, "num_questions": 3}


# --- the spending endpoints ---------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("local_ai_charged")
class TestReplayCostsNothing:
    def test_a_retried_summary_is_the_first_answer_replayed(self, user, free_plan):
        client = signed_in_client(user)
        subject = SubjectFactory.create(created_by=user)
        first = post(client, SUMMARY, summary_body(subject.pk), "sum-1")
        assert first.status_code == 202, first.content
        assert first.json()["status"] == "completed"
        assert not replayed(first)

        again = post(client, SUMMARY, summary_body(subject.pk), "sum-1")

        assert again.status_code == 202
        assert replayed(again)
        assert again.json() == first.json()
        assert again["Content-Type"] == "application/json"
        assert StudySummary.objects.filter(user=user).count() == 1
        assert AIUsage.objects.filter(user=user).count() == 1
        assert ai_charges(user) == 1
        assert balance(client) == ALLOWANCE - 1

    def test_a_retried_quiz_generation_makes_one_quiz_and_one_charge(self, user, free_plan):
        client = signed_in_client(user)
        subject = SubjectFactory.create(created_by=user)
        first = post(client, QUIZ, quiz_body(subject.pk), "quiz-1")
        assert first.status_code == 202, first.content

        again = post(client, QUIZ, quiz_body(subject.pk), "quiz-1")

        assert (again.status_code, replayed(again)) == (202, True)
        assert again.json() == first.json()
        assert Quiz.objects.filter(owner=user).count() == 1
        assert balance(client) == ALLOWANCE - 2
        # Without the key the same request is a new quiz, but the same AI request: not
        # charged again within the key's window (subscription.services.ai_credits).
        assert post(client, QUIZ, quiz_body(subject.pk), None).status_code == 202
        assert Quiz.objects.filter(owner=user).count() == 2
        assert balance(client) == ALLOWANCE - 2
        assert ai_charges(user) == 1

    def test_another_body_under_the_key_is_422_and_runs_nothing(self, user, free_plan):
        client = signed_in_client(user)
        subject = SubjectFactory.create(created_by=user)
        assert post(client, SUMMARY, summary_body(subject.pk), "sum-2").status_code == 202

        response = post(client, SUMMARY, summary_body(subject.pk, content=KOREAN_TEXT), "sum-2")

        assert response.status_code == 422
        assert response.json()["error"]["code"] == "idempotency_key_reused"
        assert response.json()["error"]["message"]
        assert StudySummary.objects.filter(user=user).count() == 1
        assert ai_charges(user) == 1

    def test_the_key_on_another_endpoint_is_422(self, user, free_plan):
        client = signed_in_client(user)
        subject = SubjectFactory.create(created_by=user)
        assert post(client, SUMMARY, summary_body(subject.pk), "shared").status_code == 202
        response = post(client, QUIZ, quiz_body(subject.pk), "shared")
        assert response.status_code == 422
        assert not Quiz.objects.exists()


# --- semantics, on the scripted endpoint -------------------------------------------------------


@pytest.mark.django_db
class TestSemantics:
    def test_replay_keeps_status_body_and_location(self, auth_client):
        first = post(auth_client, URL, {"name": "a"}, "k")
        again = post(auth_client, URL, {"name": "a"}, "k")
        assert (first.status_code, again.status_code) == (201, 201)
        assert first.json() == again.json() == {"run": 1, "echo": {"name": "a"}}
        assert again["Location"] == first["Location"] == "http://testserver/api/test/things/1/"
        assert again["Content-Type"] == first["Content-Type"] == "application/json"
        assert (replayed(first), replayed(again)) == (False, True)
        assert script.runs == 1

    def test_the_body_is_compared_in_canonical_form(self, auth_client):
        def raw(text: str) -> Any:
            return auth_client.post(
                URL, text, content_type="application/json", HTTP_IDEMPOTENCY_KEY="order"
            )

        assert raw('{"a": 1, "b": [1, 2]}').status_code == 201
        assert replayed(raw('{"b":[1,2],"a":1}'))
        assert raw('{"a": 1, "b": [2, 1]}').status_code == 422
        assert script.runs == 1

    def test_the_query_string_is_part_of_the_request(self, auth_client):
        assert post(auth_client, URL, {}, "q").status_code == 201
        assert post(auth_client, f"{URL}?dry_run=1", {}, "q").status_code == 422

    def test_without_the_header_every_request_runs(self, auth_client):
        assert [post(auth_client, URL, {}, None).json()["run"] for _ in range(2)] == [1, 2]
        assert not IdempotencyKey.objects.exists()

    def test_query_budget(self, auth_client):
        """Two statements for a first request (the claim, the stored answer) and two for a
        replay (the claim that finds the key, the lookup); on SQLite each write is wrapped in a
        transaction (a savepoint here: two more statements)."""
        writes_wrapped = 2 if connection.vendor == "sqlite" else 0

        def queries(key: str | None) -> int:
            with CaptureQueriesContext(connection) as captured:
                assert post(auth_client, URL, {"a": 1}, key).status_code == 201
            return len(captured.captured_queries)

        without = queries(None)
        assert queries("budget") - without <= 2 + 2 * writes_wrapped
        assert queries("budget") - without <= 2 + writes_wrapped
        assert script.runs == 2

    def test_keys_are_per_user(self, auth_client, other_user):
        other = signed_in_client(other_user)
        mine = post(auth_client, URL, {"name": "a"}, "same-key")
        theirs = post(other, URL, {"name": "a"}, "same-key")
        assert (mine.json()["run"], theirs.json()["run"]) == (1, 2)
        assert not replayed(theirs)
        assert replayed(post(other, URL, {"name": "a"}, "same-key"))

    @pytest.mark.parametrize(
        ("key", "valid"),
        [("", False), ("   ", False), ("x" * 256, False), ("x" * 255, True), ("a-b_c:1", True)],
    )
    def test_key_length(self, auth_client, key, valid):
        response = post(auth_client, URL, {}, key)
        if valid:
            assert response.status_code == 201
            return
        assert response.status_code == 400
        error = response.json()["error"]
        assert error["code"] == "validation_error"
        assert list(error["fields"]) == ["Idempotency-Key"]
        assert script.runs == 0

    def test_a_final_client_error_is_replayed(self, auth_client):
        script.reset("invalid")
        first = post(auth_client, URL, {"name": ""}, "bad")
        again = post(auth_client, URL, {"name": ""}, "bad")
        assert (first.status_code, again.status_code) == (400, 400)
        assert again.json() == first.json()
        assert first.json()["error"]["fields"] == {"name": ["bad"]}
        assert replayed(again)
        assert script.runs == 1

    @pytest.mark.parametrize(
        ("outcome", "status"), [("crash", 500), ("unavailable", 503), ("throttled", 429)]
    )
    def test_a_server_error_or_a_transient_refusal_releases_the_key(
        self, auth_client, outcome, status
    ):
        script.reset(outcome)
        assert post(auth_client, URL, {"n": 1}, "retry-me").status_code == status
        assert not IdempotencyKey.objects.exists()
        retried = post(auth_client, URL, {"n": 1}, "retry-me")
        assert (retried.status_code, replayed(retried), retried.json()["run"]) == (201, False, 2)
        assert replayed(post(auth_client, URL, {"n": 1}, "retry-me"))
        assert script.runs == 2

    def test_a_crashed_request_left_behind_is_taken_over_after_its_lease(
        self, auth_client, settings
    ):
        assert post(auth_client, URL, {}, "crashed").status_code == 201
        # As if the process died mid-request: claimed, nothing stored.
        row = IdempotencyKey.objects.get(key="crashed")
        live = timezone.now() - datetime.timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS - 5)
        IdempotencyKey.objects.filter(pk=row.pk).update(response_status=None, claimed_at=live)

        assert post(auth_client, URL, {}, "crashed").status_code == 409
        dead = live - datetime.timedelta(seconds=10)
        IdempotencyKey.objects.filter(pk=row.pk).update(claimed_at=dead)
        taken_over = post(auth_client, URL, {}, "crashed")

        assert (taken_over.status_code, replayed(taken_over)) == (201, False)
        assert taken_over.json()["run"] == 2
        assert replayed(post(auth_client, URL, {}, "crashed"))

    def test_keys_last_24_hours_then_the_purge_deletes_them(self, user):
        client = signed_in_client(user)
        start = timezone.now()
        with time_machine.travel(start, tick=False):
            assert post(client, URL, {}, "day").json()["run"] == 1
            assert post(client, URL, {}, "other").json()["run"] == 2
        with time_machine.travel(start + DAY - datetime.timedelta(seconds=1), tick=False):
            client = signed_in_client(user)  # the access token expired meanwhile
            assert replayed(post(client, URL, {}, "day"))
        with time_machine.travel(start + DAY + datetime.timedelta(seconds=1), tick=False):
            client = signed_in_client(user)
            # Expired: the key is free again, for any body.
            renewed = post(client, URL, {"new": True}, "day")
            assert (renewed.json()["run"], replayed(renewed)) == (3, False)
            assert purge_idempotency_keys.apply().get() == 1
            assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["day"]


# --- concurrency --------------------------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
@pytest.mark.usefixtures("local_ai_charged")
class TestConcurrency:
    def test_a_duplicate_while_the_first_runs_is_409_then_replayed(self, user):
        script.reset("hold")
        first: list[Any] = []

        def send_first() -> None:
            try:
                first.append(post(signed_in_client(user), URL, {"name": "a"}, "busy"))
            finally:
                connection.close()

        client = signed_in_client(user)
        thread = threading.Thread(target=send_first)
        thread.start()
        try:
            assert script.entered.wait(timeout=10)
            busy = post(client, URL, {"name": "a"}, "busy")
            assert busy.status_code == 409
            assert busy.json()["error"]["code"] == "idempotency_in_progress"
            assert busy["Retry-After"] == "1"
            # Another request under a running key is still a mismatch, not a wait.
            assert post(client, URL, {"name": "b"}, "busy").status_code == 422
        finally:
            script.gate.set()
            thread.join(timeout=30)
        assert first[0].status_code == 201
        again = post(client, URL, {"name": "a"}, "busy")
        assert replayed(again)
        assert again.json() == first[0].json()
        assert script.runs == 1

    def test_a_holder_past_its_lease_cannot_overwrite_the_retry_that_took_over(
        self, user, settings
    ):
        settings.IDEMPOTENCY_LEASE_SECONDS = 5
        script.reset("hold")
        first: list[Any] = []

        def send_first() -> None:
            try:
                first.append(post(signed_in_client(user), URL, {}, "slow"))
            finally:
                connection.close()

        client = signed_in_client(user)
        thread = threading.Thread(target=send_first)
        thread.start()
        try:
            assert script.entered.wait(timeout=10)
            later = timezone.now() + datetime.timedelta(seconds=6)
            with time_machine.travel(later, tick=False):
                retry = post(client, URL, {}, "slow")
        finally:
            script.gate.set()
            thread.join(timeout=30)
        assert (retry.json()["run"], first[0].json()["run"]) == (2, 1)
        assert post(client, URL, {}, "slow").json() == retry.json()

    def test_racing_duplicates_give_one_summary_and_one_charge(self, user, free_plan):
        """Racing threads, each with its own database connection (on SQLite the file's write
        lock serialises them, on PostgreSQL the unique index does): one runs, the others are
        told it is running or get its answer."""
        subject = SubjectFactory.create(created_by=user)
        body = summary_body(subject.pk)
        clients = [signed_in_client(user) for _ in range(4)]
        start = threading.Barrier(len(clients))
        responses: list[Any] = []

        def send(client: APIClient) -> None:
            try:
                start.wait(timeout=10)
                responses.append(post(client, SUMMARY, body, "race"))
            finally:
                connection.close()

        threads = [threading.Thread(target=send, args=(c,)) for c in clients]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)

        originals = [r for r in responses if r.status_code == 202 and not replayed(r)]
        others = [r for r in responses if r not in originals]
        assert len(responses) == 4
        assert len(originals) == 1
        for response in others:
            if response.status_code == 409:
                assert response.json()["error"]["code"] == "idempotency_in_progress"
            else:
                assert (response.status_code, replayed(response)) == (202, True)
                assert response.json() == originals[0].json()
        assert StudySummary.objects.filter(user=user).count() == 1
        assert ai_charges(user) == 1
        assert balance(clients[0]) == ALLOWANCE - 1


# --- the contract with the schema and the README -----------------------------------------------


def _marked_posts(patterns: list[Any], prefix: str = "/") -> set[str]:
    found: set[str] = set()
    for pattern in patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            found |= _marked_posts(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            view_class = getattr(pattern.callback, "view_class", None)
            post_method = getattr(view_class, "post", None)
            if getattr(post_method, "__idempotent__", False):
                found.add(route)
    return found


def test_the_listed_posts_and_only_those_take_a_key(settings):
    settings.ROOT_URLCONF = "studymate_api.urls"
    assert _marked_posts(get_resolver().url_patterns) == IDEMPOTENT_POSTS


def test_the_readme_lists_them():
    text = (PROJECT_DIR / "README.md").read_text(encoding="utf-8")
    section = text.split("## Safe retries: Idempotency-Key", 1)[1].split("\n## ", 1)[0]
    for path in IDEMPOTENT_POSTS:
        assert _readme_path(path) in section, path


def _readme_path(route: str) -> str:
    for name in ("subject_id", "quiz_id", "attempt_id", "room_id"):
        route = route.replace(f"<int:{name}>", "{id}")
    return route


def test_stored_bodies_are_json_text_in_the_first_order(db, auth_client):
    post(auth_client, URL, {"z": 1, "a": 2}, "ordered")
    stored = IdempotencyKey.objects.get(key="ordered").response_body
    assert list(json.loads(stored)["echo"]) == ["z", "a"]
