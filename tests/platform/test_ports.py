"""The ports (`studymate_api.ports`): the few capabilities asked across the import direction,
each provided at start by the app that has it, with a default until then."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from decimal import Decimal

import pytest

from accounts.services import account_mail
from notifications.services.account_mail import AccountMail
from personalization.selectors.adaptive import LearnerModelPredictor
from personalization.selectors.reviews import ReviewWorkloadProvider
from quiz.services import Candidate, success_predictor_port
from study.selectors import review_workload_port
from studymate_api.ai import AITask, CreditRequest, credits_port
from studymate_api.ai.credits import reserve_credits
from studymate_api.ports import declared_ports
from subscription.services.ai_credits import reserve_ai_credits

CANDIDATES = [
    Candidate(question_id=1, difficulty="easy", topics=(), subject_id=None, subject_name=None),
    Candidate(question_id=2, difficulty="hard", topics=(), subject_id=None, subject_name=None),
]


@pytest.fixture
def _keep_predictor() -> Iterator[None]:
    provided = success_predictor_port.get()
    yield
    success_predictor_port.provide(provided)


def test_the_ports_are_few_and_listed() -> None:
    names = [port.name for port in declared_ports()]
    assert names == [
        "accounts.mail",
        "ai.credits",
        "quiz.success_predictor",
        "study.review_workload",
    ]


def test_the_providing_apps_registered_at_start() -> None:
    assert credits_port.get() is reserve_ai_credits  # BILLING_CREDITS_ENABLED by default
    assert isinstance(success_predictor_port.get(), LearnerModelPredictor)
    assert isinstance(account_mail.get(), AccountMail)
    assert isinstance(review_workload_port.get(), ReviewWorkloadProvider)


@pytest.mark.usefixtures("_keep_predictor")
def test_without_a_provider_the_defaults_answer() -> None:
    credits_port.provide(None)  # the autouse fixture of tests/conftest.py puts billing back
    request = CreditRequest(None, AITask.CHAT, Decimal("0.01"), ("openai", "local"), "f")
    assert reserve_credits(request) is None  # free
    success_predictor_port.provide(None)
    easy, hard = success_predictor_port.get().predict(7, CANDIDATES)
    assert easy > 0.5 > hard  # the authored difficulty, for an average learner
    assert not success_predictor_port.provided


@pytest.mark.usefixtures("_keep_predictor")
def test_a_provider_with_an_impossible_band_is_refused_at_start() -> None:
    class Broken:
        band = (0.9, 0.1)

        def predict(self, user_id: int, candidates: Sequence[Candidate]) -> list[float]:
            return [0.5 for _ in candidates]

        def observations(self, user_id: int, subject_id: int | None) -> int:
            return 0

    with pytest.raises(ValueError, match="target band"):
        success_predictor_port.provide(Broken())
    assert isinstance(success_predictor_port.get(), LearnerModelPredictor)
