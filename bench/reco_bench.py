"""Recommendation latency: GET /api/personalization/recommendations/, cold and warm.

    .venv/bin/python bench/reco_bench.py
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/studymate_p2 \\
        REDIS_URL=redis://127.0.0.1:6379/12 .venv/bin/python bench/reco_bench.py

What runs: a temporary database (bench/study_bench.py: a SQLite file in a temporary directory,
or a fresh PostgreSQL database `studymate_bench_<random>` next to DATABASE_URL's, dropped at
the end) is migrated and seeded with 1,000 subjects (public ones of other owners in 40
categories with tags and descriptions, and 20 private ones of the learner), 500 public quizzes
of 20 questions each (10,000 questions, four topics per quiz out of 400), 300 other learners
with progress (so that popularity differs), and the learner: 5,000 graded answers in 250
finished attempts, replayed in time order through the same knowledge model the API updates
(`personalization.knowledge`) and stored as its tables, progress in 30 subjects, 5 goals, 120
review cards (40 due).

Measured in this process through Django's full request path (JWT authentication, middleware,
view, serializer; production-like settings: DEBUG off), --requests times each:
- cold: the whole cache cleared (`studymate_api.cache.clear_all`, which also drops the shared
  popular-subjects ranking) before each request: the engine computes everything;
- warm: the learner's cached value is served.
Both endpoints (the mixed list and the subjects-only list) are timed. Printed: p50/p95/max
wall-clock latency in milliseconds, the same percentiles of this process's CPU time (what a
request costs when other processes do not compete for the cores; PostgreSQL's own time is not
in it) and the queries of one cold request. Targets: p95 under 15 ms warm and
under 60 ms cold; exit status 1 when one is missed.
"""

from __future__ import annotations

import argparse
import datetime
import math
import os
import random
import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# bench/study_bench.py: importing it sets the production-like environment (BENCH_ENV).
sys.path.insert(0, str(Path(__file__).resolve().parent))

from study_bench import point_django_at, temporary_database

SUBJECTS = 1000
OWN_SUBJECTS = 20
QUIZZES = 500
QUESTIONS_PER_QUIZ = 20
ANSWERED_QUIZZES = 250  # x 20 = 5,000 answers
OTHER_LEARNERS = 300
CATEGORIES = [f"field{n}" for n in range(40)]
TOPICS = [f"topic {n}" for n in range(400)]
WORDS = [
    *("cells", "energy", "algebra", "proofs", "history", "essays", "grammar", "motion"),
    *("waves", "atoms", "markets", "maps", "genetics", "ecology", "calculus", "vectors"),
    *("poetry", "rhetoric", "circuits", "programming", "data", "ethics"),
]
TARGET_WARM_MS = 15.0
TARGET_COLD_MS = 60.0
URLS = {
    "recommendations": "/api/personalization/recommendations/",
    "subjects only": "/api/study/subjects/personalized_recommendations/",
}


# --- the seed -----------------------------------------------------------------------------------


def seed() -> Any:
    """Everything above; returns the learner."""
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    rng = random.Random(2026)  # noqa: S311 - a reproducible seed, not a secret
    learner, owners = _users()
    subjects = _subjects(rng, learner, owners)
    quizzes = _quizzes(rng, owners, subjects)
    _others_progress(rng, owners, subjects)
    _answers(rng, learner, quizzes)
    _learner_study(rng, learner, subjects)
    _analyze()
    return learner


def _analyze() -> None:
    """Table statistics, as autovacuum (or SQLite's optimizer) would have them after a load;
    without them the planner guesses every table is tiny."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def _users() -> tuple[Any, list[Any]]:
    from django.contrib.auth.hashers import make_password

    from accounts.models import User, UserProfile

    no_password = make_password(None)
    users = User.objects.bulk_create(
        User(email=f"user{n}@bench.example", username=f"user{n}", password=no_password)
        for n in range(OTHER_LEARNERS + 1)
    )
    UserProfile.objects.bulk_create(UserProfile(user=user) for user in users)
    return users[0], users[1:]


def _subjects(rng: random.Random, learner: Any, owners: list[Any]) -> list[Any]:
    from study.models import Subject

    def text() -> str:
        return " ".join(rng.choice(WORDS) for _ in range(30))

    public = [
        Subject(
            name=f"{rng.choice(WORDS).title()} {n}",
            category=CATEGORIES[n % len(CATEGORIES)],
            tags=rng.sample(WORDS, 3),
            description=text(),
            is_public=True,
            created_by=owners[n % len(owners)],
        )
        for n in range(SUBJECTS - OWN_SUBJECTS)
    ]
    own = [
        Subject(
            name=f"My notes {n}",
            category=CATEGORIES[n],
            tags=rng.sample(WORDS, 2),
            description=text(),
            is_public=False,
            created_by=learner,
        )
        for n in range(OWN_SUBJECTS)
    ]
    return Subject.objects.bulk_create(public + own)


def _quizzes(rng: random.Random, owners: list[Any], subjects: list[Any]) -> list[Any]:
    from quiz.models import Question, Quiz

    quizzes = Quiz.objects.bulk_create(
        Quiz(
            title=f"Quiz {n}",
            subject=subjects[n % (SUBJECTS - OWN_SUBJECTS)],
            owner=owners[n % len(owners)],
            is_public=True,
            difficulty=("easy", "medium", "hard")[n % 3],
        )
        for n in range(QUIZZES)
    )
    # Four topics per quiz, as a quiz covers a few themes of its subject.
    topics = {quiz.pk: rng.sample(TOPICS, 4) for quiz in quizzes}
    Question.objects.bulk_create(
        Question(
            quiz=quiz,
            question_type="true_false",
            text=f"Statement {q} of {quiz.title}",
            difficulty=("easy", "medium", "hard")[q % 3],
            topics=[topics[quiz.pk][q % 4]],
            accepted_answers=["true"],
            order=q,
        )
        for quiz in quizzes
        for q in range(QUESTIONS_PER_QUIZ)
    )
    return quizzes


def _others_progress(rng: random.Random, owners: list[Any], subjects: list[Any]) -> None:
    from django.utils import timezone

    from study.models import StudyProgress

    now = timezone.now()
    popular = subjects[: SUBJECTS // 5]
    StudyProgress.objects.bulk_create(
        StudyProgress(user=owner, subject=subject, total_study_minutes=60, last_studied_at=now)
        for owner in owners
        for subject in rng.sample(popular, 5)
    )


def _answers(rng: random.Random, learner: Any, quizzes: list[Any]) -> None:
    """5,000 graded answers, folded in time order into the knowledge model's state exactly as
    `personalization.services.knowledge` does one by one, then stored in bulk."""
    from django.utils import timezone

    from quiz.models import AnswerStatus, GradedBy, Question, QuizAttempt, UserAnswer

    start = timezone.now() - datetime.timedelta(days=90)
    taken = quizzes[:ANSWERED_QUIZZES]
    attempts = QuizAttempt.objects.bulk_create(
        QuizAttempt(
            user=learner,
            quiz=quiz,
            started_at=start + datetime.timedelta(hours=n * 8),
            finished_at=start + datetime.timedelta(hours=n * 8, minutes=20),
        )
        for n, quiz in enumerate(taken)
    )
    by_quiz = {attempt.quiz_id: attempt for attempt in attempts}
    questions = list(
        Question.objects.filter(quiz__in=taken).select_related("quiz__subject").order_by("id")
    )
    state = _KnowledgeReplay()
    answers = []
    for question in questions:
        category = question.quiz.subject.category if question.quiz.subject else ""
        # Strong in some fields, weak in others: what the sources should tell apart.
        skill = 1.5 if category in CATEGORIES[:10] else -0.5
        correct = rng.random() < 1 / (1 + math.exp(-(skill - (question.order % 3 - 1))))
        state.fold(question, correct)
        answers.append(
            UserAnswer(
                attempt=by_quiz[question.quiz_id],
                question=question,
                answer=correct,
                is_correct=correct,
                score=1.0 if correct else 0.0,
                graded_by=GradedBy.AUTO,
                graded_at=start,
                status=AnswerStatus.GRADED,
            )
        )
    UserAnswer.objects.bulk_create(answers, batch_size=1000)
    state.store(learner)


class _KnowledgeReplay:
    def __init__(self) -> None:
        from personalization import knowledge

        self.k = knowledge
        self.learners: dict[int | None, Any] = {}
        self.skills: dict[str, Any] = {}
        self.items: dict[int, Any] = {}

    def fold(self, question: Any, correct: bool) -> None:
        from personalization.selectors.knowledge import answer_skills

        subject = question.quiz.subject
        learner = self.learners.setdefault(subject.pk, self.k.Learner())
        names = answer_skills(question.topics, subject.name)
        skills = [self.skills.setdefault(name, self.k.SkillState()) for name in names]
        start = self.k.AUTHORED_DIFFICULTY[question.difficulty]
        item = self.items.setdefault(question.pk, self.k.Item(start))
        self.k.update(learner, skills, item, correct)

    def store(self, user: Any) -> None:
        from personalization.models import ItemDifficulty, LearnerAbility, LearnerSkillState

        LearnerAbility.objects.bulk_create(
            LearnerAbility(
                user=user, subject_id=pk, ability=s.ability, n=s.n, recent=s.recent, last=s.last
            )
            for pk, s in self.learners.items()
        )
        LearnerSkillState.objects.bulk_create(
            LearnerSkillState(
                user=user, skill=name, ability=s.ability, n_observations=s.n, recent=s.recent
            )
            for name, s in self.skills.items()
        )
        ItemDifficulty.objects.bulk_create(
            ItemDifficulty(question_id=pk, difficulty=i.difficulty, n=i.n, gains=i.gains)
            for pk, i in self.items.items()
        )


def _learner_study(rng: random.Random, learner: Any, subjects: list[Any]) -> None:
    from django.utils import timezone

    from personalization.models import ReviewCard, ReviewKind
    from study.models import StudyGoal, StudyProgress

    now = timezone.now()
    studied = rng.sample(subjects[: SUBJECTS - OWN_SUBJECTS], 30)
    StudyProgress.objects.bulk_create(
        StudyProgress(user=learner, subject=s, total_study_minutes=rng.randint(10, 900))
        for s in studied
    )
    goals = StudyGoal.objects.bulk_create(
        StudyGoal(
            user=learner,
            subject=studied[n],
            title=f"Goal {n}",
            target_minutes=600,
            logged_minutes=30 * n,
            target_date=now.date() + datetime.timedelta(days=5 + n),
        )
        for n in range(5)
    )
    StudyGoal.objects.filter(pk__in=[g.pk for g in goals]).update(
        created_at=now - datetime.timedelta(days=10)
    )
    ReviewCard.objects.bulk_create(
        ReviewCard(
            user=learner,
            kind=ReviewKind.CONCEPT,
            subject=studied[n % 30],
            concept=f"concept {n}",
            concept_key=f"concept {n}",
            due=now + datetime.timedelta(hours=(n - 40) * 3),
        )
        for n in range(120)
    )


# --- measuring ----------------------------------------------------------------------------------


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


@dataclass
class Timings:
    wall_ms: list[float] = field(default_factory=list)
    # This process's CPU time: what the request costs without the other processes' load
    # (PostgreSQL's own work is not in it).
    cpu_ms: list[float] = field(default_factory=list)


def timed(get: Callable[[], Any], before: Callable[[], None], requests: int) -> Timings:
    timings = Timings()
    for _ in range(requests):
        before()
        started, cpu = time.perf_counter(), time.process_time()
        response = get()
        timings.wall_ms.append((time.perf_counter() - started) * 1000)
        timings.cpu_ms.append((time.process_time() - cpu) * 1000)
        if response.status_code != 200:
            raise SystemExit(f"HTTP {response.status_code}: {response.content[:300]!r}")
    return timings


def measure(learner: Any, requests: int) -> tuple[dict[str, Timings], int, Any]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from rest_framework_simplejwt.tokens import AccessToken

    from studymate_api.cache import clear_all

    token = str(AccessToken.for_user(learner))
    client = Client(
        HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {token}", HTTP_ACCEPT_LANGUAGE="en"
    )
    results: dict[str, Timings] = {}

    def clear() -> None:
        clear_all()

    for name, url in URLS.items():

        def get(url: str = url) -> Any:
            return client.get(url, {"limit": 10})

        timed(get, clear, 3)  # warm-up: imports, connections
        results[f"{name} cold"] = timed(get, clear, requests)
        results[f"{name} warm"] = timed(get, lambda: None, requests * 4)
    clear_all()
    with CaptureQueriesContext(connection) as queries:
        body = client.get(URLS["recommendations"], {"limit": 10}).json()
    return results, len(queries.captured_queries), body


def report(results: dict[str, Timings], queries: int, body: Any) -> bool:
    backend = "PostgreSQL" if os.environ.get("DATABASE_URL") else "SQLite"
    cache = "Redis" if os.environ.get("REDIS_URL") else "local memory"
    print(f"\ndatabase: {backend}, cache: {cache}; in-process Django test client, DEBUG off")
    print(
        f"{'endpoint':<24}{'requests':>9}{'p50 ms':>9}{'p95 ms':>9}{'max ms':>9}{'target':>9}"
        f"{'cpu p50':>9}{'cpu p95':>9}"
    )
    ok = True
    for name, timings in results.items():
        wall, cpu = timings.wall_ms, timings.cpu_ms
        target = TARGET_COLD_MS if name.endswith("cold") else TARGET_WARM_MS
        p95 = percentile(wall, 0.95)
        ok = ok and p95 < target
        print(
            f"{name:<24}{len(wall):>9}{statistics.median(wall):>9.2f}{p95:>9.2f}"
            f"{max(wall):>9.2f}{'<' + format(target, 'g'):>9}"
            f"{statistics.median(cpu):>9.2f}{percentile(cpu, 0.95):>9.2f}"
        )
    print(f"queries of one cold request: {queries} (the token's user included)")
    print("top of the list:")
    for row in body[:10]:
        print(f"  {row['type']:<16}{row['score']:>6.3f}  {row['reason']}")
    load_average = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"(load average {load_average}; targets: p95 warm < 15 ms, cold < 60 ms)")
    return ok


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=100, help="cold requests per endpoint")
    args = parser.parse_args()
    with temporary_database() as database:
        point_django_at(database)
        import django

        django.setup()
        from django.db import connections

        started = time.perf_counter()
        learner = seed()
        print(f"seeded in {time.perf_counter() - started:.1f} s")
        try:
            ok = report(*measure(learner, args.requests))
        finally:
            connections.close_all()
    raise SystemExit(0 if ok else 1)


if __name__ == "__main__":
    main()
