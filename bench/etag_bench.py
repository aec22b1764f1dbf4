"""What the ETag check costs next to the cached GET it guards (`studymate_api.core.conditional`).

    .venv/bin/python bench/etag_bench.py                           # LocMemCache, SQLite
    REDIS_URL=redis://127.0.0.1:6379/7 .venv/bin/python bench/etag_bench.py

Four ways to answer `GET /api/study/subjects/` for a signed-in learner whose page is cached, each
through DRF (authentication included: one query for the user) on an in-memory test database:

- plain: the view without `@etag_cached` (a TaggedCache hit and the page bytes);
- etag 200: the decorated view, no `If-None-Match` (the check, then the same work);
- etag 304: the decorated view with the current ETag (the check, and no view at all);
- the check alone: `current_etag` (one cache round trip for the tag versions, and a hash).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from rest_framework.request import Request  # noqa: E402
from rest_framework.test import APIRequestFactory  # noqa: E402
from rest_framework_simplejwt.tokens import AccessToken  # noqa: E402

from study.apis import SubjectListApi  # noqa: E402
from study.caching import SUBJECTS_TAG, subjects_cache  # noqa: E402
from studymate_api.core.conditional import current_etag  # noqa: E402


def _timed(call: Callable[[], Any], rounds: int) -> list[float]:
    for _ in range(min(200, rounds)):
        call()
    samples = []
    for _ in range(rounds):
        started = time.perf_counter()
        call()
        samples.append((time.perf_counter() - started) * 1e6)
    return samples


def _report(name: str, samples: list[float]) -> None:
    ordered = sorted(samples)
    p50 = ordered[len(ordered) // 2]
    p95 = ordered[int(len(ordered) * 0.95)]
    mean = statistics.fmean(samples)
    print(f"{name:<28} p50 {p50:8.1f} µs   p95 {p95:8.1f} µs   mean {mean:8.1f} µs")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3000)
    parser.add_argument("--subjects", type=int, default=20)
    args = parser.parse_args()

    setup_test_environment()
    settings.DEBUG = False
    connection.creation.create_test_db(verbosity=0, autoclobber=True)

    from accounts.models import User
    from study.models import Subject

    user = User.objects.create_user(email="bench@example.com", username="bench", password=None)
    Subject.objects.bulk_create(
        Subject(name=f"Subject {n:03d}", created_by=user, is_public=True)
        for n in range(args.subjects)
    )
    token = str(AccessToken.for_user(user))
    factory = APIRequestFactory()
    auth: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {token}"}

    decorated = SubjectListApi.as_view()

    class PlainSubjectListApi(SubjectListApi):
        get = SubjectListApi.get.__wrapped__  # type: ignore[attr-defined]

    plain = PlainSubjectListApi.as_view()

    first = decorated(factory.get("/api/study/subjects/", **auth))
    etag = first["ETag"]
    assert (
        decorated(factory.get("/api/study/subjects/", HTTP_IF_NONE_MATCH=etag, **auth)).status_code
        == 304
    )

    request = Request(factory.get("/api/study/subjects/"))
    request.user = user

    def check_alone() -> None:
        current_etag(request, subjects_cache, [SUBJECTS_TAG])

    backend = type(subjects_cache.backend).__name__
    print(f"GET /api/study/subjects/ ({args.subjects} subjects, cache hit), {backend}")
    results = {
        "plain (no ETag)": _timed(
            lambda: plain(factory.get("/api/study/subjects/", **auth)), args.rounds
        ),
        "etag 200": _timed(
            lambda: decorated(factory.get("/api/study/subjects/", **auth)), args.rounds
        ),
        "etag 304": _timed(
            lambda: decorated(factory.get("/api/study/subjects/", HTTP_IF_NONE_MATCH=etag, **auth)),
            args.rounds,
        ),
        "the check alone": _timed(check_alone, args.rounds),
    }
    for name, samples in results.items():
        _report(name, samples)
    plain_p50 = sorted(results["plain (no ETag)"])[args.rounds // 2]
    check_p50 = sorted(results["the check alone"])[args.rounds // 2]
    print(f"the check is {100 * check_p50 / plain_p50:.0f}% of a plain cached GET (p50)")


if __name__ == "__main__":
    main()
