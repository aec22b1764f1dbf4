"""The cached read path's answer without the view (`ReadAheadMixin`, `etag_cached(...,
keep_responses=True)`), driven through `GET /api/study/subjects/`.

A signed-in learner's GET is authenticated, throttled and read in one cache command; the 200 a
view made is kept with its ETag and answered again while the ETag and the page it came from are
current. Everything the client sees must be what DRF's path answers for the same request: the
usual path is taken by a learner whose credentials changed lately (`user_access_changed`), whose
tokens are judged against the user row again.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from typing import Any

import pytest
import time_machine
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from accounts import services
from accounts.models import User
from study.caching import subjects_cache
from study.models import Subject
from studymate_api.cache.stats import namespace_stats
from tests.conftest import login_tokens
from tests.factories import UserFactory
from tests.study.factories import SubjectFactory

# Transactions commit: the credentials-changed record is written after commit.
pytestmark = pytest.mark.django_db(transaction=True)

SUBJECTS = "/api/study/subjects/?page_size=5"
# What differs between two answers by design: each request has its own id.
PER_REQUEST = {"X-Request-ID"}


@pytest.fixture(autouse=True)
def _still_clock() -> Iterator[None]:
    """Half a minute past an hour, standing still: no ETag window ends inside a test."""
    hour = timezone.now().replace(minute=0, second=0, microsecond=0)
    with time_machine.travel(hour + datetime.timedelta(hours=1, seconds=30), tick=False):
        yield


@pytest.fixture(autouse=True)
def _outbox_in_process(celery_in_process: None) -> None:
    """The accounts events reach their subscribers in this process, with or without Redis."""


@pytest.fixture
def subjects() -> list[Subject]:
    owner = UserFactory.create()
    return [SubjectFactory.create(created_by=owner, is_public=True) for _ in range(7)]


def client_of(user: User) -> APIClient:
    client = APIClient()
    client.credentials(
        HTTP_AUTHORIZATION=f"Bearer {login_tokens(APIClient(), user.email)['access']}"
    )
    return client


def seen(response: Any) -> tuple[int, dict[str, str], bytes]:
    """What the client sees of an answer, but its request id."""
    headers = {name: value for name, value in response.headers.items() if name not in PER_REQUEST}
    return response.status_code, headers, response.content


def by_the_user_row(user: User) -> None:
    """From now on the user's tokens take DRF's path (the user row), the flags unchanged."""
    services.user_access_changed(user=user)


def answers(client: APIClient, path: str = SUBJECTS, **headers: Any) -> list[Any]:
    """Four GETs: the first makes (or reads) the page, the second keeps the response, the
    third is answered from the kept response (and remembers how), the fourth is a known read
    (straight to the one cache command)."""
    return [client.get(path, **headers) for _ in range(4)]


@pytest.mark.usefixtures("subjects")
@pytest.mark.parametrize(
    ("path", "headers"),
    [
        (SUBJECTS, {}),
        ("/api/study/subjects/?page_size=5&page=2", {}),
        (SUBJECTS + "&format=json", {}),
        (SUBJECTS, {"HTTP_ACCEPT": "application/json"}),
        (SUBJECTS, {"HTTP_ACCEPT": "text/html;q=0.9, */*;q=0.8"}),
        (SUBJECTS, {"HTTP_ACCEPT_LANGUAGE": "de"}),
        (SUBJECTS, {"HTTP_ORIGIN": "http://localhost:3000"}),
        (SUBJECTS, {"HTTP_IF_NONE_MATCH": "*"}),
    ],
)
def test_the_kept_answer_is_byte_for_byte_the_views(
    user: User, path: str, headers: dict[str, Any]
) -> None:
    client = client_of(user)
    kept = answers(client, path, **headers)
    assert len({_frozen(answer) for answer in kept}) == 1
    by_the_user_row(user)
    with CaptureQueriesContext(connection) as queries:
        usual = client.get(path, **headers)
    assert any("accounts_user" in query["sql"] for query in queries)  # DRF's path indeed
    assert _frozen(usual) == _frozen(kept[-1])


@pytest.mark.usefixtures("subjects")
def test_a_kept_answer_costs_no_query_and_counts_one_hit(user: User) -> None:
    client = client_of(user)
    answers(client)
    hits = namespace_stats(subjects_cache.namespace).hits
    with CaptureQueriesContext(connection) as queries:
        response = client.get(SUBJECTS)
    assert response.status_code == 200
    assert len(queries) == 0
    # The page's hit, as when the view reads it.
    assert namespace_stats(subjects_cache.namespace).hits == hits + 1


@pytest.mark.usefixtures("subjects")
def test_if_none_match_is_answered_304_as_on_the_usual_path(user: User) -> None:
    client = client_of(user)
    etag = answers(client)[-1]["ETag"]
    not_modified = client.get(SUBJECTS, HTTP_IF_NONE_MATCH=f"W/{etag}")
    assert not_modified.status_code == 304
    by_the_user_row(user)
    assert _frozen(client.get(SUBJECTS, HTTP_IF_NONE_MATCH=f"W/{etag}")) == _frozen(not_modified)


@pytest.mark.usefixtures("subjects")
@pytest.mark.parametrize(
    ("path", "headers", "status"),
    [
        (SUBJECTS, {"HTTP_ACCEPT": "application/xml"}, 406),
        (SUBJECTS + "&format=xml", {}, 404),
        ("/api/study/subjects/?page=0", {}, 404),
        ("/api/study/subjects/?is_public=maybe", {}, 400),
    ],
)
def test_refusals_are_drfs(user: User, path: str, headers: dict[str, Any], status: int) -> None:
    client = client_of(user)
    answers(client)
    refused = client.get(path, **headers)
    assert refused.status_code == status
    by_the_user_row(user)
    assert _frozen(client.get(path, **headers)) == _frozen(refused)


@pytest.mark.usefixtures("subjects")
def test_a_write_through_the_services_is_seen_at_once(user: User) -> None:
    client = client_of(user)
    before = answers(client)[-1]
    created = client.post("/api/study/subjects/", {"name": "Aardvark anatomy", "is_public": True})
    assert created.status_code == 201
    after = client.get(SUBJECTS)
    assert after["ETag"] != before["ETag"]
    assert after.json()["results"][0]["name"] == "Aardvark anatomy"


def test_a_write_around_the_services_is_seen_once_the_page_expires(
    user: User, subjects: list[Subject]
) -> None:
    """As without kept answers: a queryset update reaches the page within its TTL."""
    client = client_of(user)
    everything = "/api/study/subjects/?page_size=50"
    first = sorted(subjects, key=lambda subject: subject.name)[0]
    answers(client, everything)
    Subject.objects.filter(pk=first.pk).update(name="Renamed around the services")
    assert client.get(everything).json()["results"][0]["name"] == first.name
    later = timezone.now() + datetime.timedelta(seconds=subjects_cache.strategy.ttl + 1)
    with time_machine.travel(later, tick=False):
        names = [row["name"] for row in client.get(everything).json()["results"]]
    assert "Renamed around the services" in names


@pytest.mark.usefixtures("subjects")
def test_each_request_is_counted_once_by_the_throttle(user: User, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "6/min",
        },
    }
    client = client_of(user)
    etag = client.get(SUBJECTS)["ETag"]  # the view
    client.get(SUBJECTS)  # the view, keeping the answer
    client.get(SUBJECTS)  # the kept answer
    client.get(SUBJECTS, HTTP_IF_NONE_MATCH=etag)  # 304, a known read
    assert client.get(SUBJECTS, HTTP_ACCEPT="application/xml").status_code == 406  # not counted
    assert _counted(user) == 4
    assert [client.get(SUBJECTS).status_code for _ in range(3)] == [200, 200, 429]
    refused = client.get(SUBJECTS)
    assert refused.status_code == 429
    assert refused.json()["error"]["code"] == "throttled"
    assert 0 < int(refused["Retry-After"]) <= 60
    assert _counted(user) == 6  # refusals are not counted


def test_a_signed_out_token_is_not_counted(user: User, settings: Any) -> None:
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {
            **settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"],
            "user": "6/min",
        },
    }
    tokens = login_tokens(APIClient(), user.email)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    assert [answer.status_code for answer in answers(client)] == [200] * 4  # a known read
    assert APIClient().post("/api/auth/logout/", {"refresh": tokens["refresh"]}).status_code == 205
    assert client.get(SUBJECTS).status_code == 401
    assert _counted(user) == 4


def _counted(user: User) -> int:
    window = int(timezone.now().timestamp() // 60)
    values = [cache.get(f"throttle:user:{user.pk}:{w}") for w in (window - 1, window)]
    return sum(int(value) for value in values if value is not None)


def _frozen(response: Any) -> tuple[int, tuple[tuple[str, str], ...], bytes]:
    status, headers, content = seen(response)
    return status, tuple(sorted(headers.items())), content


@pytest.mark.usefixtures("subjects")
def test_head_is_answered_as_on_the_usual_path(user: User) -> None:
    client = client_of(user)
    kept = [client.head(SUBJECTS) for _ in range(3)]
    assert kept[-1].status_code == 200
    assert len({_frozen(answer) for answer in kept}) == 1
    by_the_user_row(user)
    assert _frozen(client.head(SUBJECTS)) == _frozen(kept[-1])


@pytest.mark.usefixtures("subjects")
def test_a_known_read_ends_with_its_token(user: User) -> None:
    """Past the token's expiry the answer is simplejwt's, as on the usual path."""
    client = client_of(user)
    answers(client)
    later = timezone.now() + datetime.timedelta(days=1)
    with time_machine.travel(later, tick=False):
        expired = client.get(SUBJECTS)
        by_the_user_row(user)
        usual = client.get(SUBJECTS)
    assert expired.status_code == 401
    assert _frozen(expired) == _frozen(usual)


def test_known_reads_are_per_token(subjects: list[Subject]) -> None:
    """Two learners asking for the same URL each get their own page (their private subjects)."""
    first, second = UserFactory.create(), UserFactory.create()
    SubjectFactory.create(created_by=second, is_public=False, name="Aaa private of the second")
    first_client, second_client = client_of(first), client_of(second)
    for _ in range(4):
        first_names = [row["name"] for row in first_client.get(SUBJECTS).json()["results"]]
        second_names = [row["name"] for row in second_client.get(SUBJECTS).json()["results"]]
        assert "Aaa private of the second" not in first_names
        assert second_names[0] == "Aaa private of the second"


@pytest.mark.usefixtures("subjects")
def test_a_changed_rate_reaches_known_reads_at_once(user: User, settings: Any) -> None:
    rates = settings.REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]
    client = client_of(user)
    assert [answer.status_code for answer in answers(client)] == [200] * 4
    settings.REST_FRAMEWORK = {
        **settings.REST_FRAMEWORK,
        "DEFAULT_THROTTLE_RATES": {**rates, "user": "4/min"},
    }
    assert client.get(SUBJECTS).status_code == 429
