"""What one write costs in SQL, reactions included: a summary request, a quiz answer, a quiz finish.

    .venv/bin/python bench/write_queries.py [--baseline PATH] [--json]

Each tree (this checkout, and `--baseline`: another checkout of the project, e.g. a
`git worktree add /tmp/baseline <commit>`) runs in a process of its own on a fresh PostgreSQL
database (127.0.0.1:5432, user postgres; `BENCH_POSTGRES` overrides), migrated, so the data
migrations (notification templates) are there as in production. REDIS_URL is unset: Celery is
eager, so the generation and the outbox's reactions run inside the request and every statement
they issue is counted, as it would be issued by the web process and a worker together.

The flow goes through the HTTP API with Django's test client (sign up, sign in, subject, summary
request, quiz with three questions, attempt, answers, finish) twice: the first round warms the
process (content types, templates, first-use caches) and is not reported; the second round's
statements are counted per operation, with how many are writes and savepoints.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
PROJECT = HERE.parent
ADMIN_URL = os.environ.get("BENCH_POSTGRES", "postgres://postgres@127.0.0.1:5432/postgres")

MATERIAL = (
    "광합성은 식물이 빛 에너지를 이용해 이산화탄소와 물로 포도당을 만드는 과정이다. "
    "엽록체의 틸라코이드에서 명반응이 일어나 ATP와 NADPH가 만들어지고, 스트로마에서 "
    "캘빈 회로가 이산화탄소를 고정한다. Photosynthesis converts light energy into chemical "
    "energy; chlorophyll absorbs red and blue light and reflects green. "
) * 4

QUESTIONS: list[dict[str, Any]] = [
    {
        "question_type": "multiple_choice",
        "text": "광합성이 일어나는 세포 소기관은?",
        "choices": [
            {"text": "엽록체", "is_correct": True},
            {"text": "미토콘드리아", "is_correct": False},
            {"text": "리보솜", "is_correct": False},
        ],
        "topics": ["biology"],
    },
    {"question_type": "true_false", "text": "Chlorophyll reflects green light.",
     "accepted_answers": ["true"], "topics": ["biology"]},
    {"question_type": "short_answer", "text": "캘빈 회로가 고정하는 기체는?",
     "accepted_answers": ["이산화탄소", "CO2"], "topics": ["biology"]},
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--baseline", type=Path, help="another checkout to measure beside this")
    parser.add_argument("--json", action="store_true", help="end with the figures as JSON")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_measure(args.child)))
        return
    trees = {"current": PROJECT}
    if args.baseline:
        trees = {"baseline": args.baseline.resolve(), **trees}
    results = {name: _run_tree(tree) for name, tree in trees.items()}
    _report(results)
    if args.json:
        print(json.dumps(results))


def _run_tree(tree: Path) -> dict[str, Any]:
    import psycopg

    database = f"bench_writes_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        env = {
            key: value
            for key, value in os.environ.items()
            if not key.startswith(("REDIS_URL", "METRICS_REDIS_URL", "OPENAI_", "ANTHROPIC_"))
            and not key.startswith(("TOGETHER_", "STRIPE_", "DJANGO_SETTINGS_MODULE"))
        }
        env["DATABASE_URL"] = ADMIN_URL.rsplit("/", 1)[0] + f"/{database}"
        env["PYTHONPATH"] = str(tree)
        completed = subprocess.run(  # noqa: S603 - this script, another checkout
            [sys.executable, str(Path(__file__).resolve()), "--child", str(tree)],
            cwd=tree,
            env=env,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if completed.returncode != 0:
            raise SystemExit(f"{tree}: the flow failed\n{completed.stderr[-4000:]}")
        result: dict[str, Any] = json.loads(completed.stdout.strip().splitlines()[-1])
        return result
    finally:
        with psycopg.connect(ADMIN_URL, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')


def _measure(tree: Path) -> dict[str, Any]:
    sys.path.insert(0, str(tree))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "studymate_api.settings")
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0, interactive=False)
    _flow(round_number=0)  # warm-up, not reported
    return _flow(round_number=1)


def _flow(*, round_number: int) -> dict[str, Any]:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from rest_framework.test import APIClient

    client = APIClient()
    email = f"writer{round_number}@example.com"
    password = "a-Long-passphrase-42"  # noqa: S105 - a bench account on a throwaway database
    account = {"email": email, "username": f"writer{round_number}", "password": password}
    _ok(client.post("/api/auth/register/", account, format="json"))
    credentials = {"email": email, "password": password}
    tokens = _ok(client.post("/api/auth/login/", credentials, format="json"))
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {tokens['access']}")
    subject = _ok(client.post("/api/study/subjects/", {"name": "생물"}, format="json"))
    figures: dict[str, Any] = {}

    def counted(name: str, method: str, path: str, body: dict[str, Any]) -> Any:
        with CaptureQueriesContext(connection) as captured:
            response = getattr(client, method)(path, body, format="json")
        statements = [query["sql"].lstrip().split(None, 1)[0].upper() for query in captured]
        kinds = Counter(statements)
        figures[name] = {
            "queries": len(statements),
            "writes": sum(kinds[k] for k in ("INSERT", "UPDATE", "DELETE")),
            "savepoints": kinds["SAVEPOINT"],
        }
        return _ok(response)

    request = {"subject_id": subject["id"], "content": MATERIAL, "summary_type": "brief"}
    summary = counted("summary request", "post", "/api/study/generate-summary/", request)
    figures["summary request"]["status"] = summary["status"]
    new_quiz = {"title": "광합성", "subject_id": subject["id"], "questions": QUESTIONS}
    quiz = _ok(client.post("/api/quiz/quizzes/", new_quiz, format="json"))
    attempt = _ok(client.post(f"/api/quiz/quizzes/{quiz['id']}/attempts/", {}, format="json"))
    answers = [_right_answer(question) for question in attempt["questions"]]
    for index, (question_id, answer) in enumerate(answers):
        body = {"attempt_id": attempt["id"], "question_id": question_id, "answer": answer}
        if index == 0:
            counted("quiz answer", "post", "/api/quiz/submit-answer/", body)
        else:
            _ok(client.post("/api/quiz/submit-answer/", body, format="json"))
    counted("quiz finish", "post", f"/api/quiz/attempts/{attempt['id']}/finish/", {})
    return figures


def _right_answer(question: dict[str, Any]) -> tuple[int, Any]:
    kind = question["question_type"]
    if kind == "multiple_choice":
        texts = {choice["text"]: choice["id"] for choice in question["choices"]}
        return question["id"], texts["엽록체"]
    if kind == "true_false":
        return question["id"], True
    return question["id"], "이산화탄소"


def _ok(response: Any) -> Any:
    if response.status_code >= 400:
        raise SystemExit(f"{response.status_code}: {response.content[:2000]!r}")
    return response.json() if response.content else None


def _report(results: dict[str, dict[str, Any]]) -> None:
    names = list(results)
    operations = list(next(iter(results.values())))
    print(f"{'operation':<18}" + "".join(f"{name:>34}" for name in names))
    for operation in operations:
        cells = []
        for name in names:
            figure = results[name][operation]
            cells.append(
                f"{figure['queries']:>10} queries {figure['writes']:>4} writes "
                f"{figure['savepoints']:>3} sp"
            )
        print(f"{operation:<18}" + "".join(f"{cell:>34}" for cell in cells))


if __name__ == "__main__":
    main()
