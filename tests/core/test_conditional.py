"""ETag and If-None-Match on the cacheable GETs (`studymate_api.core.conditional`).

Every endpoint is driven through the API: a GET gives an ETag, the same GET with it answers 304
with no body, and a write through the API (another learner's, where theirs changes the answer)
makes the next GET a 200 with a new ETag. Writes run their after-commit hooks, which is where
the services invalidate the tags the ETags are built from.
"""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, replace
from typing import Any

import pytest
import time_machine
from django.conf import settings
from django.core.cache import caches
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from study.caching import SUBJECTS_TAG
from studymate_api.cache.keys import tag_version_key
from subscription.models import SubscriptionPlan
from tests.conftest import signed_in_client
from tests.factories import UserFactory
from tests.study.factories import SubjectFactory

pytestmark = pytest.mark.django_db

SUBJECTS = "/api/study/subjects/"


@pytest.fixture(autouse=True)
def _still_clock() -> Iterator[None]:
    """Time stands still half a minute past an hour: an ETag lasts a window of its namespace's
    TTL (every one divides the hour), so no window ends between two requests of a test."""
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    with time_machine.travel(hour + datetime.timedelta(hours=1, seconds=30), tick=False):
        yield


@pytest.fixture
def commit(
    django_capture_on_commit_callbacks: Callable[..., AbstractContextManager[Any]],
) -> Callable[[], AbstractContextManager[Any]]:
    """`with commit(): ...`: the after-commit hooks of what happens inside run, as a real commit
    would run them (the test itself rolls back)."""
    return lambda: django_capture_on_commit_callbacks(execute=True)


@pytest.fixture
def learner() -> User:
    return UserFactory.create()


@pytest.fixture
def other() -> User:
    return UserFactory.create()


@pytest.fixture
def client_a(learner: User) -> APIClient:
    return signed_in_client(learner)


@pytest.fixture
def client_b(other: User) -> APIClient:
    return signed_in_client(other)


def etag_of(client: APIClient, url: str, **headers: str) -> str:
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.content
    etag = response["ETag"]
    assert etag.startswith('"')
    assert etag.endswith('"')
    return str(etag)


def assert_not_modified(client: APIClient, url: str, etag: str, sent: str | None = None) -> None:
    response = client.get(url, headers={"If-None-Match": sent or etag})
    assert response.status_code == 304
    assert response.content == b""
    assert response["ETag"] == etag


# --- one scenario per cacheable GET -------------------------------------------------------------


@dataclass
class World:
    learner: User
    other: User
    client_a: APIClient
    client_b: APIClient
    commit: Callable[[], AbstractContextManager[Any]]
    subject_id: int = 0
    quiz_id: int = 0
    question_id: int = 0


def _public_subject(world: World) -> int:
    response = world.client_a.post(SUBJECTS, {"name": "Algebra", "is_public": True})
    return int(response.json()["id"])


def _quiz_with_question(world: World) -> None:
    quiz = world.client_a.post(
        "/api/quiz/quizzes/",
        {
            "title": "Capitals",
            "is_public": True,
            "questions": [
                {
                    "question_type": "short_answer",
                    "text": "Capital of Korea?",
                    "accepted_answers": ["Seoul"],
                }
            ],
        },
        format="json",
    ).json()
    world.quiz_id = quiz["id"]
    world.question_id = quiz["questions"][0]["id"]


def _add_question(world: World) -> None:
    body = {
        "quiz": world.quiz_id,
        "question_type": "short_answer",
        "text": "Capital of Japan?",
        "accepted_answers": ["Tokyo"],
    }
    assert world.client_a.post("/api/quiz/questions/", body, format="json").status_code == 201


@dataclass(frozen=True)
class Case:
    url: Callable[[World], str]
    # Run before the first GET (inside committed writes).
    arrange: Callable[[World], None]
    # A write through the API that changes what the GET answers.
    change: Callable[[World], object]
    # The client whose GET is checked.
    reader: str = "a"


def _arrange_subject(world: World) -> None:
    world.subject_id = _public_subject(world)


def _log(world: World, client: APIClient) -> None:
    body = {"subject_id": world.subject_id, "minutes": 30}
    assert client.post("/api/study/progress/", body, format="json").status_code == 201


def _arrange_progress(world: World) -> None:
    _arrange_subject(world)
    _log(world, world.client_a)


CASES = {
    "subjects": Case(
        url=lambda w: SUBJECTS,
        arrange=_arrange_subject,
        # Another learner's new public subject is in learner A's list too.
        change=lambda w: w.client_b.post(SUBJECTS, {"name": "Botany", "is_public": True}),
    ),
    "subject": Case(
        url=lambda w: f"{SUBJECTS}{w.subject_id}/",
        arrange=_arrange_subject,
        change=lambda w: w.client_a.patch(f"{SUBJECTS}{w.subject_id}/", {"name": "Geometry"}),
        reader="b",
    ),
    "popular": Case(
        url=lambda w: f"{SUBJECTS}popular/",
        arrange=_arrange_subject,
        # Another learner starts studying the subject: its learner count changes.
        change=lambda w: _log(w, w.client_b),
    ),
    "quizzes": Case(
        url=lambda w: "/api/quiz/quizzes/",
        arrange=_quiz_with_question,
        change=lambda w: w.client_b.post(
            "/api/quiz/quizzes/", {"title": "Rivers", "is_public": True}, format="json"
        ),
    ),
    "quiz": Case(
        url=lambda w: f"/api/quiz/quizzes/{w.quiz_id}/",
        arrange=_quiz_with_question,
        change=_add_question,
        reader="b",
    ),
    "questions": Case(
        url=lambda w: "/api/quiz/questions/",
        arrange=_quiz_with_question,
        change=_add_question,
        reader="b",
    ),
    "question": Case(
        url=lambda w: f"/api/quiz/questions/{w.question_id}/",
        arrange=_quiz_with_question,
        change=lambda w: w.client_a.patch(
            f"/api/quiz/questions/{w.question_id}/", {"text": "Capital of Korea, 2024?"}
        ),
    ),
    "profile": Case(
        url=lambda w: "/api/auth/profile/",
        arrange=lambda w: None,
        change=lambda w: w.client_a.patch(
            "/api/auth/profile/", {"profile": {"bio": "Loves maths"}}, format="json"
        ),
    ),
    "profile (user fields)": Case(
        url=lambda w: "/api/auth/profile/",
        arrange=lambda w: None,
        change=lambda w: w.client_a.patch("/api/auth/profile/", {"first_name": "Minji"}),
    ),
    "study settings": Case(
        url=lambda w: "/api/study/settings/",
        arrange=lambda w: None,
        change=lambda w: w.client_a.patch("/api/study/settings/", {"pomodoro_minutes": 50}),
    ),
    "notification preferences": Case(
        url=lambda w: "/api/notifications/preferences/",
        arrange=lambda w: None,
        change=lambda w: w.client_a.patch(
            "/api/notifications/preferences/", {"sms_enabled": True}, format="json"
        ),
    ),
    "progress": Case(
        url=lambda w: "/api/study/progress/",
        arrange=_arrange_progress,
        change=lambda w: _log(w, w.client_a),
    ),
    "progress of a subject": Case(
        url=lambda w: f"/api/study/progress/{w.subject_id}/",
        arrange=_arrange_progress,
        change=lambda w: _log(w, w.client_a),
    ),
    "progress (subject renamed)": Case(
        url=lambda w: "/api/study/progress/",
        arrange=_arrange_progress,
        change=lambda w: w.client_a.patch(f"{SUBJECTS}{w.subject_id}/", {"name": "Logic"}),
    ),
}


@pytest.mark.parametrize("name", list(CASES))
def test_etag_304_and_a_new_etag_after_a_write(name, learner, other, client_a, client_b, commit):
    case = CASES[name]
    world = World(learner, other, client_a, client_b, commit)
    with commit():
        case.arrange(world)
    reader = client_a if case.reader == "a" else client_b
    url = case.url(world)
    first = reader.get(url)
    assert first.status_code == 200
    etag = first["ETag"]
    assert_not_modified(reader, url, etag)

    with commit():
        case.change(world)

    after = reader.get(url, headers={"If-None-Match": etag})
    assert after.status_code == 200
    assert after.content
    assert after["ETag"] != etag
    assert after.json() != first.json()
    assert_not_modified(reader, url, after["ETag"])


def test_plans_change_their_etag_when_a_plan_is_saved(api_client):
    # Plans are written by the admin and by commands: the ETag follows the rows themselves.
    api_client.get("/api/subscription/plans/")  # the first read creates the free plan
    etag = etag_of(api_client, "/api/subscription/plans/")
    assert_not_modified(api_client, "/api/subscription/plans/", etag)
    SubscriptionPlan.objects.create(code="pro", name="Pro", price_amount=9900)
    response = api_client.get("/api/subscription/plans/", headers={"If-None-Match": etag})
    assert response.status_code == 200
    assert [plan["code"] for plan in response.json()] == ["free", "pro"]
    plan = SubscriptionPlan.objects.get(code="pro")
    etag = response["ETag"]
    with time_machine.travel(timezone.now() + datetime.timedelta(seconds=5)):
        plan.name = "Pro+"
        plan.save()
    assert api_client.get("/api/subscription/plans/", headers={"If-None-Match": etag}).json()[1][
        "name"
    ] == ("Pro+")


# --- the headers --------------------------------------------------------------------------------


def test_unknown_and_weak_unknown_etags_get_the_full_answer(client_a):
    etag = etag_of(client_a, SUBJECTS)
    for sent in ('"nothing-like-it"', 'W/"nothing-like-it"', "garbage", ""):
        response = client_a.get(SUBJECTS, headers={"If-None-Match": sent})
        assert response.status_code == 200, sent
        assert response["ETag"] == etag
        assert response.json()["count"] == 0


def test_a_weakened_copy_of_the_current_etag_matches(client_a):
    """If-None-Match compares weakly (RFC 9110): a proxy that compressed the answer passes on
    W/"..." and the client sends that back."""
    etag = etag_of(client_a, SUBJECTS)
    assert_not_modified(client_a, SUBJECTS, etag, sent=f"W/{etag}")
    assert_not_modified(client_a, SUBJECTS, etag, sent=f'"other", {etag}')


def test_star_matches_any_current_answer(client_a):
    response = client_a.get(SUBJECTS, headers={"If-None-Match": "*"})
    assert response.status_code == 304
    assert response.content == b""
    missing = client_a.get(f"{SUBJECTS}999999/", headers={"If-None-Match": "*"})
    assert missing.status_code == 404


def test_etags_are_per_user(client_a, client_b, learner):
    SubjectFactory.create(name="Public", created_by=learner)
    etag_a = etag_of(client_a, SUBJECTS)
    etag_b = etag_of(client_b, SUBJECTS)
    assert etag_a != etag_b
    response = client_b.get(SUBJECTS, headers={"If-None-Match": etag_a})
    assert response.status_code == 200
    assert response.json()["count"] == 1


def test_etags_depend_on_the_query_the_language_and_the_host(client_a, settings):
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "api.example.test"]
    etag = etag_of(client_a, SUBJECTS)
    assert etag_of(client_a, f"{SUBJECTS}?search=a") != etag
    assert etag_of(client_a, SUBJECTS, **{"Accept-Language": "en"}) != etag
    # The pagination links hold the host.
    other_host = client_a.get(SUBJECTS, HTTP_HOST="api.example.test")
    assert other_host["ETag"] != etag


def test_headers_say_who_the_answer_is_for(client_a, api_client):
    response = client_a.get(SUBJECTS)
    vary = {part.strip() for part in response["Vary"].split(",")}
    assert {"Authorization", "Accept-Language"} <= vary
    assert set(response["Cache-Control"].split(", ")) == {"private", "no-cache"}
    not_modified = client_a.get(SUBJECTS, headers={"If-None-Match": response["ETag"]})
    assert {"Authorization", "Accept-Language"} <= {
        part.strip() for part in not_modified["Vary"].split(",")
    }
    public = api_client.get("/api/subscription/plans/")
    assert public["Cache-Control"] == "no-cache"


def test_head_answers_304_too(client_a):
    etag = etag_of(client_a, SUBJECTS)
    response = client_a.head(SUBJECTS, headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response["ETag"] == etag


def test_errors_carry_no_etag(client_a, client_b, learner):
    hidden = SubjectFactory.create(created_by=learner, is_public=False)
    response = client_b.get(f"{SUBJECTS}{hidden.pk}/")
    assert response.status_code == 404
    assert "ETag" not in response
    # Nobody can have an ETag for an answer they never got: no 304 that confirms it exists.
    etag = etag_of(client_a, f"{SUBJECTS}{hidden.pk}/")
    assert client_b.get(f"{SUBJECTS}{hidden.pk}/", headers={"If-None-Match": etag}).status_code == (
        404
    )


# --- what the ETag is made of -------------------------------------------------------------------


def test_a_lost_tag_version_never_brings_an_old_etag_back(client_a, client_b, commit):
    """The version key of `subjects` is evicted: a fresh random token is created, so the ETag
    changes (once) instead of matching what a client cached before a change."""
    before = etag_of(client_a, SUBJECTS)
    caches[settings.CACHE_ALIAS].delete(tag_version_key(SUBJECTS_TAG))
    after = etag_of(client_a, SUBJECTS)
    assert after != before
    assert etag_of(client_a, SUBJECTS) == after  # and it is stable from then on

    with commit():
        client_b.post(SUBJECTS, {"name": "Botany", "is_public": True})
    changed = etag_of(client_a, SUBJECTS)
    caches[settings.CACHE_ALIAS].delete(tag_version_key(SUBJECTS_TAG))
    assert etag_of(client_a, SUBJECTS) not in {before, after, changed}


def test_an_etag_lasts_no_longer_than_the_namespace_ttl(client_a):
    """A write that bypasses the services is served stale by the cache for at most its TTL; the
    ETag must not confirm it for longer."""
    from study.caching import subjects_cache

    etag = etag_of(client_a, SUBJECTS)
    ttl = subjects_cache.strategy.ttl
    later = timezone.now() + datetime.timedelta(seconds=ttl)
    with time_machine.travel(later, tick=False):
        assert client_a.get(SUBJECTS, headers={"If-None-Match": etag}).status_code == 200


def test_clearing_the_views_cache_namespace_changes_the_etag(client_a):
    from study.caching import subjects_cache

    etag = etag_of(client_a, SUBJECTS)
    assert subjects_cache.clear()
    assert etag_of(client_a, SUBJECTS) != etag


def test_progress_etag_turns_over_with_the_quarter_hour(learner, commit, monkeypatch):
    """Streaks are shown as of the learner's local day: the ETag cannot outlive a midnight,
    which is on a quarter hour in every time zone."""
    from study.caching import progress_cache

    # Here the namespace's own TTL window (which also bounds an ETag) is an hour.
    monkeypatch.setattr(progress_cache, "strategy", replace(progress_cache.strategy, ttl=3600))
    subject = SubjectFactory.create(created_by=learner)
    # One minute past the next hour; tokens are issued then, to stay valid.
    next_hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    start = next_hour + datetime.timedelta(hours=1, minutes=1)
    with time_machine.travel(start, tick=False):
        client = signed_in_client(learner)
        with commit():
            client.post("/api/study/progress/", {"subject_id": subject.pk, "minutes": 10})
        etag = etag_of(client, "/api/study/progress/")
    with time_machine.travel(start + datetime.timedelta(minutes=13), tick=False):
        assert_not_modified(client, "/api/study/progress/", etag)
    with time_machine.travel(start + datetime.timedelta(minutes=14), tick=False):
        response = client.get("/api/study/progress/", headers={"If-None-Match": etag})
        assert response.status_code == 200


@pytest.fixture
def cache_down(settings: Any) -> None:
    """TaggedCache's alias pointed at a Redis that is not there (connections are refused)."""
    settings.CACHES = {
        **settings.CACHES,
        "unreachable": {
            "BACKEND": "django_redis.cache.RedisCache",
            "LOCATION": "redis://127.0.0.1:9/0",
            "OPTIONS": {"SOCKET_CONNECT_TIMEOUT": 0.2, "SOCKET_TIMEOUT": 0.2},
        },
    }
    settings.CACHE_ALIAS = "unreachable"


def test_without_a_cache_there_is_no_etag_and_no_304(client_a, cache_down):
    response = client_a.get(SUBJECTS)
    assert response.status_code == 200
    assert "ETag" not in response
    response = client_a.get(SUBJECTS, headers={"If-None-Match": '"anything"'})
    assert response.status_code == 200


def test_a_304_runs_no_query_of_the_view(client_a, learner, django_assert_num_queries):
    SubjectFactory.create(created_by=learner)
    etag = etag_of(client_a, "/api/study/settings/")
    with django_assert_num_queries(1):  # authentication loads the user
        assert client_a.get(
            "/api/study/settings/", headers={"If-None-Match": etag}
        ).status_code == (304)
