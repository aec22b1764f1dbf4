"""Tag invalidation: one write per tag, seen by every client of the backend at once."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import caches

from studymate_api.cache import TaggedCache, clear_all, invalidate_tags
from studymate_api.cache.keys import tag_version_key
from tests.platform.cache.conftest import requires_redis

PROJECT_DIR = Path(__file__).resolve().parents[3]


def test_invalidation_by_one_client_is_seen_by_another(namespace, second_client):
    writer = TaggedCache(namespace)
    reader = TaggedCache(namespace, backend=second_client)
    key = writer.key(subject_id=1)
    writer.set(key, "chapter 1", tags=["subject:1"])
    assert reader.get(key) == "chapter 1"

    reader.invalidate_tags("subject:1")

    assert writer.get(key) is None
    assert reader.get(key) is None


def test_a_tag_spans_namespaces(namespace):
    summaries = TaggedCache(namespace)
    quizzes = TaggedCache(f"{namespace}_q")
    summaries.set(summaries.key(subject_id=1), "summary", tags=["subject:1"])
    quizzes.set(quizzes.key(subject_id=1), "quiz", tags=["subject:1"])

    invalidate_tags("subject:1")

    assert summaries.get(summaries.key(subject_id=1)) is None
    assert quizzes.get(quizzes.key(subject_id=1)) is None


def test_other_tags_survive_an_invalidation(namespace):
    cache = TaggedCache(namespace)
    cache.set(cache.key(subject_id=1), "one", tags=["subject:1", "user:1"])
    cache.set(cache.key(subject_id=2), "two", tags=["subject:2", "user:1"])

    cache.invalidate_tags("subject:1")

    assert cache.get(cache.key(subject_id=1)) is None
    assert cache.get(cache.key(subject_id=2)) == "two"


def test_get_checks_the_stored_tags_even_when_the_caller_names_none(namespace):
    cache = TaggedCache(namespace)
    key = cache.key(subject_id=1)
    cache.set(key, "one", tags=["subject:1"])
    invalidate_tags("subject:1")
    assert cache.get(key, default="miss") == "miss"


def test_a_lost_version_key_is_a_miss_not_a_stale_hit(namespace):
    cache = TaggedCache(namespace)
    key = cache.key(subject_id=1)
    cache.set(key, "one", tags=["subject:1"])

    caches[settings.CACHE_ALIAS].delete(tag_version_key("subject:1"))  # as an eviction would

    assert cache.get(key) is None
    assert cache.get_or_set(key, lambda: "recomputed", tags=["subject:1"]) == "recomputed"
    assert cache.get(key) == "recomputed"


def test_an_invalidation_during_the_computation_is_not_hidden(namespace):
    cache = TaggedCache(namespace)
    key = cache.key(subject_id=1)

    def compute_while_someone_writes():
        invalidate_tags("subject:1")  # a service commits a change while we read the old rows
        return "computed from old rows"

    value = cache.get_or_set(key, compute_while_someone_writes, tags=["subject:1"])

    assert value == "computed from old rows"
    assert cache.get(key) is None


def test_clear_empties_one_namespace(namespace):
    first, second = TaggedCache(namespace), TaggedCache(f"{namespace}_b")
    first.set(first.key(n=1), "a")
    second.set(second.key(n=1), "b")

    first.clear()

    assert first.get(first.key(n=1)) is None
    assert second.get(second.key(n=1)) == "b"


def test_clear_all_empties_every_namespace_but_leaves_other_keys(namespace):
    first, second = TaggedCache(namespace), TaggedCache(f"{namespace}_b")
    first.set(first.key(n=1), "a")
    second.set(second.key(n=1), "b")
    caches[settings.CACHE_ALIAS].set("throttle:someone", 3)

    clear_all()

    assert first.get(first.key(n=1)) is None
    assert second.get(second.key(n=1)) is None
    assert caches[settings.CACHE_ALIAS].get("throttle:someone") == 3


def test_delete_removes_one_value(namespace):
    cache = TaggedCache(namespace)
    cache.set(cache.key(n=1), "a")
    cache.set(cache.key(n=2), "b")
    cache.delete(cache.key(n=1))
    assert cache.get(cache.key(n=1)) is None
    assert cache.get(cache.key(n=2)) == "b"


_OTHER_PROCESS = """
import django
django.setup()
from studymate_api.cache import TaggedCache
cache = TaggedCache({namespace!r})
key = cache.key(subject_id=1)
print(cache.get(key, default="MISS"))
cache.invalidate_tags("subject:1")
print(cache.get(key, default="MISS"))
"""


@pytest.mark.e2e
@requires_redis
def test_invalidation_crosses_processes(namespace):
    cache = TaggedCache(namespace)
    key = cache.key(subject_id=1)
    cache.set(key, "chapter 1", tags=["subject:1"])

    script = textwrap.dedent(_OTHER_PROCESS.format(namespace=namespace))
    env = {**os.environ, "DJANGO_SETTINGS_MODULE": "studymate_api.settings"}
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["chapter", "1", "MISS"]
    assert cache.get(key) is None
