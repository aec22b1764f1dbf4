"""Keys hold every dependency, in a stable form every backend accepts."""

from __future__ import annotations

import datetime
import uuid

import pytest

from accounts.models import User
from studymate_api.cache import cache_key


def test_keyword_dependencies_are_ordered_by_name():
    assert cache_key("progress", user_id=7, subject_id=3) == cache_key(
        "progress", subject_id=3, user_id=7
    )
    assert cache_key("progress", user_id=7, subject_id=3) == "progress:subject_id=3:user_id=7"


def test_positional_parts_keep_their_order():
    assert cache_key("subjects", "list", 2) != cache_key("subjects", 2, "list")


def test_every_dependency_changes_the_key():
    base = cache_key("progress", user_id=7, subject_id=3)
    assert cache_key("progress", user_id=8, subject_id=3) != base
    assert cache_key("progress", user_id=7, subject_id=4) != base
    assert cache_key("progress", user_id=7) != base
    assert cache_key("analytics", user_id=7, subject_id=3) != base


def test_long_or_unsafe_parts_are_hashed_and_stay_distinct():
    spaced = cache_key("summaries", query="what is a mitochondrion")
    long = cache_key("summaries", query="x" * 500)
    assert " " not in spaced
    assert len(long) < 120
    assert spaced != cache_key("summaries", query="what is a mitochondrion?")


def test_a_raw_part_cannot_imitate_a_hashed_one():
    hashed = cache_key("summaries", query="a b")
    digest = hashed.split("=", 1)[1]
    assert cache_key("summaries", query=digest) != hashed


def test_a_key_with_many_parts_is_bounded():
    key = cache_key("analytics", *[f"part{n}" for n in range(100)])
    assert key.startswith("analytics:#")
    assert len(key) <= 200


def test_none_bool_uuid_and_dates_are_encoded_stably():
    ident = uuid.UUID("12345678-1234-5678-1234-567812345678")
    day = datetime.date(2026, 1, 2)
    key = cache_key("quizzes", quiz=ident, day=day, archived=False, subject_id=None)
    assert key == cache_key("quizzes", quiz=ident, day=day, archived=False, subject_id=None)
    assert cache_key("quizzes", subject_id=None) != cache_key("quizzes", subject_id="None")


@pytest.mark.django_db
def test_a_user_is_keyed_by_its_primary_key(user):
    assert cache_key("progress", user=user) == cache_key("progress", user=user.pk)


def test_an_unsaved_user_cannot_be_a_dependency():
    with pytest.raises(ValueError, match="unsaved"):
        cache_key("progress", user=User(email="new@example.com"))


def test_objects_without_a_stable_text_are_refused():
    with pytest.raises(TypeError):
        cache_key("progress", filters={"a": 1})  # type: ignore[arg-type]


@pytest.mark.parametrize("namespace", ["", "Progress", "pro gress", "1st", "a" * 41])
def test_bad_namespaces_are_refused(namespace):
    with pytest.raises(ValueError, match="namespace"):
        cache_key(namespace)
