"""`manage.py seed_demo` (what `make run` starts with): credentials that sign in, idempotent
subjects, verbosity, language and a progress bar."""

from __future__ import annotations

import io
import re
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from rest_framework.test import APIClient

from accounts.management.commands.seed_demo import DEMO_LEARNER, DEMO_STAFF, DEMO_SUBJECTS
from accounts.models import User
from study.selectors import subject_public_list
from tests.conftest import login_tokens


class Terminal(io.StringIO):
    """Output that says it is a terminal, as an operator's shell is."""

    def isatty(self) -> bool:
        return True


class Run:
    def __init__(self, out: str, err: str) -> None:
        self.out, self.err = out, err

    def password(self, email: str) -> str:
        found = re.search(rf"{re.escape(email)} / (\S+)", self.out)
        assert found, self.out
        return found.group(1)


def seed(*args: str, stdout: io.StringIO | None = None) -> Run:
    out, err = stdout or io.StringIO(), io.StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=err)
    return Run(out.getvalue(), err.getvalue())


@pytest.fixture(autouse=True)
def _debug(settings: Any) -> None:
    settings.DEBUG = True  # the embedded default's


@pytest.mark.django_db
def test_seeds_once_and_prints_credentials_that_sign_in() -> None:
    first = seed()
    lines = first.out.splitlines()
    assert lines[0] == f"Demo data ready ({len(DEMO_SUBJECTS)} new subjects)."
    assert lines[1].startswith(f"  learner: {DEMO_LEARNER} / ")
    assert lines[2].startswith(f"  staff:   {DEMO_STAFF} / ")
    assert lines[2].endswith("(admin at /admin/)")
    login_tokens(APIClient(), DEMO_LEARNER, first.password(DEMO_LEARNER))

    again = seed()
    assert again.out.startswith("Demo data ready (0 new subjects).")
    assert again.password(DEMO_LEARNER) != first.password(DEMO_LEARNER)  # fresh each run
    login_tokens(APIClient(), DEMO_LEARNER, again.password(DEMO_LEARNER))
    assert subject_public_list().count() == len(DEMO_SUBJECTS)
    assert User.objects.count() == 2


@pytest.mark.django_db
def test_verbosity_zero_is_silent_and_keeps_the_passwords() -> None:
    first = seed()
    assert seed("-v", "0", "--progress").out == ""
    assert seed("-v", "0").err == ""
    # Nobody saw a new password, so the one printed before still signs in.
    login_tokens(APIClient(), DEMO_LEARNER, first.password(DEMO_LEARNER))


@pytest.mark.django_db
def test_verbosity_zero_on_an_empty_database_still_seeds() -> None:
    assert seed("-v", "0").out == ""
    assert User.objects.filter(email__in=[DEMO_LEARNER, DEMO_STAFF]).count() == 2
    assert subject_public_list().count() == len(DEMO_SUBJECTS)


@pytest.mark.django_db
def test_verbosity_two_says_what_was_created_and_what_existed() -> None:
    out = seed("-v", "2").out
    assert f"created {DEMO_LEARNER}" in out
    assert "subject created: Linear Algebra" in out
    out = seed("-v", "2").out
    assert f"{DEMO_STAFF} exists: new password set" in out
    assert "subject exists: Linear Algebra" in out


@pytest.mark.django_db
def test_korean_by_locale_or_language(monkeypatch: pytest.MonkeyPatch) -> None:
    out = seed("--locale", "ko").out
    assert out.startswith(f"데모 데이터가 준비되었습니다(새 과목 {len(DEMO_SUBJECTS)}개).")
    assert f"  학습자: {DEMO_LEARNER} / " in out
    monkeypatch.setenv("LANGUAGE", "ko")
    assert seed().out.startswith("데모 데이터가 준비되었습니다(새 과목 0개).")
    monkeypatch.setenv("LANGUAGE", "fr:en:ko")  # the first supported entry wins
    assert seed().out.startswith("Demo data ready")


@pytest.mark.django_db
def test_a_progress_bar_on_a_terminal_or_on_request() -> None:
    steps = 2 + len(DEMO_SUBJECTS)
    on_terminal = seed(stdout=Terminal())
    assert "Demo data: 100%" in on_terminal.err
    assert f"{steps}/{steps}" in on_terminal.err
    assert "Demo data ready" in on_terminal.out
    assert f"{steps}/{steps}" in seed("--progress").err
    assert seed().err == ""  # not a terminal, not asked
    assert seed("-v", "0", stdout=Terminal()).err == ""


@pytest.mark.django_db
def test_refuses_without_debug(settings: Any) -> None:
    settings.DEBUG = False
    with pytest.raises(CommandError, match=r"refusing while DEBUG is off \(--allow-production"):
        seed()
    assert not User.objects.exists()
    assert seed("--allow-production").out.startswith("Demo data ready")
