"""Concept cards from summaries: a capped number, most important first, a sentence on the front
and the whole sentence on the back, and never a second card for a concept the learner has,
however it is spelled."""

from __future__ import annotations

from typing import Any

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from accounts.models import User
from personalization.models import ReviewCard
from personalization.services import review_cards_from_summary
from study.models import StudySummary, Subject
from tests.study.conftest import ENGLISH_TEXT
from tests.study.factories import SubjectFactory

pytestmark = pytest.mark.django_db
DUE = "/api/personalization/reviews/due/"

# Source material whose sentences say something about each concept listed below.
KOREAN_SOURCE = (
    "세포 호흡은 포도당을 분해해 에너지를 얻는 과정이다. "
    "미토콘드리아는 세포 호흡이 일어나는 세포 소기관이다. "
    "엽록체는 빛 에너지를 화학 에너지로 바꾼다. "
    "광합성은 엽록체에서 일어나며 포도당을 만든다. "
    "캘빈 회로는 이산화탄소를 고정해 당을 만든다. "
    "리보솜은 단백질을 합성하는 장소이다."
)
ENGLISH_SOURCE = (
    "Chloroplasts capture light energy in plant cells. "
    "The Calvin cycle fixes carbon dioxide into sugar. "
    "Mitochondria release energy from glucose during respiration. "
    "Ribosomes build proteins from amino acids. "
    "Enzymes speed up the reactions of the cell."
)


def key_concepts_summary(
    user: User, subject: Subject, concepts: list[str], source: str
) -> StudySummary:
    """A completed key-concepts summary listing `concepts` in the provider's order (most
    important first), as the gateway stores one."""
    return StudySummary.objects.create(
        user=user,
        subject=subject,
        title="Cells",
        content=source,
        summary="\n".join(concepts),
        summary_type="key_concepts",
        status="completed",
        provider="local",
        completed_at=timezone.now(),
    )


def concept_card(user: User, subject: Subject, concept: str) -> ReviewCard:
    return ReviewCard.objects.create(
        user=user,
        kind="concept",
        subject=subject,
        concept=concept,
        concept_key=concept.casefold(),
        due=timezone.now(),
    )


def carded(user: User, subject: Subject) -> list[str]:
    cards = ReviewCard.objects.filter(user=user, subject=subject, kind="concept")
    return list(cards.order_by("id").values_list("concept", flat=True))


class TestCap:
    LISTED = [f"concept {name}" for name in "abcdefghijkl"]  # 12, most important first

    def test_at_most_the_setting_many_cards_the_most_important_first(
        self, user: User, subject: Subject, settings: Any
    ) -> None:
        settings.REVIEW_MAX_CARDS_PER_SUMMARY = 8
        summary = key_concepts_summary(user, subject, self.LISTED, ENGLISH_SOURCE)

        assert review_cards_from_summary(summary_id=summary.pk) == 8

        assert carded(user, subject) == self.LISTED[:8]

    def test_the_cap_follows_the_setting(self, user: User, subject: Subject, settings: Any) -> None:
        settings.REVIEW_MAX_CARDS_PER_SUMMARY = 3
        summary = key_concepts_summary(user, subject, self.LISTED, ENGLISH_SOURCE)

        assert review_cards_from_summary(summary_id=summary.pk) == 3
        assert carded(user, subject) == self.LISTED[:3]

    def test_a_redelivered_event_adds_nothing(
        self, user: User, subject: Subject, settings: Any
    ) -> None:
        settings.REVIEW_MAX_CARDS_PER_SUMMARY = 4
        summary = key_concepts_summary(user, subject, self.LISTED, ENGLISH_SOURCE)
        assert review_cards_from_summary(summary_id=summary.pk) == 4

        # Its own four cards fill its slots: the fifth concept is not carded by a repeat.
        assert review_cards_from_summary(summary_id=summary.pk) == 0
        assert carded(user, subject) == self.LISTED[:4]


class TestAlreadyCarded:
    def test_a_carded_concept_is_skipped_and_frees_its_slot(
        self, user: User, subject: Subject, settings: Any
    ) -> None:
        settings.REVIEW_MAX_CARDS_PER_SUMMARY = 3
        concept_card(user, subject, "엽록체")
        listed = ["세포 호흡", "엽록체", "광합성", "캘빈 회로", "리보솜"]
        summary = key_concepts_summary(user, subject, listed, KOREAN_SOURCE)

        assert review_cards_from_summary(summary_id=summary.pk) == 3

        # Three new cards, the next-ranked one taking the carded concept's place.
        assert carded(user, subject) == ["엽록체", "세포 호흡", "광합성", "캘빈 회로"]

    @pytest.mark.parametrize(
        ("have", "listed"),
        [
            ("세포 호흡", "세포호흡"),  # spacing, either way round
            ("캘빈회로", "캘빈 회로"),
            ("chloroplast", "Chloroplasts"),  # case and plural
            ("Calvin Cycles", "calvin cycle"),
            ("enzyme", "ENZYMES"),
        ],
    )
    def test_a_near_duplicate_spelling_is_the_same_concept(
        self, user: User, subject: Subject, have: str, listed: str
    ) -> None:
        concept_card(user, subject, have)
        source = KOREAN_SOURCE if listed[0] >= "\uac00" else ENGLISH_SOURCE
        summary = key_concepts_summary(user, subject, [listed, "리보솜"], source)

        assert review_cards_from_summary(summary_id=summary.pk) == 1

        assert carded(user, subject) == [have, "리보솜"]

    def test_near_duplicates_within_one_list_make_one_card(
        self, user: User, subject: Subject
    ) -> None:
        listed = ["Chloroplast", "chloroplasts", "Calvin cycle", "Calvin  Cycle"]
        summary = key_concepts_summary(user, subject, listed, ENGLISH_SOURCE)

        assert review_cards_from_summary(summary_id=summary.pk) == 2
        assert carded(user, subject) == ["Chloroplast", "Calvin cycle"]

    def test_a_card_of_another_subject_or_learner_does_not_count(
        self, user: User, other_user: User, subject: Subject
    ) -> None:
        elsewhere = SubjectFactory.create(created_by=user, is_public=False, name="Chemistry")
        concept_card(user, elsewhere, "Enzymes")
        other_subject = SubjectFactory.create(created_by=other_user, is_public=False)
        concept_card(other_user, other_subject, "Enzymes")
        summary = key_concepts_summary(user, subject, ["Enzymes"], ENGLISH_SOURCE)

        assert review_cards_from_summary(summary_id=summary.pk) == 1
        assert carded(user, subject) == ["Enzymes"]

    def test_a_suspended_card_is_not_given_again(self, user: User, subject: Subject) -> None:
        card = concept_card(user, subject, "Ribosomes")
        card.suspended_at = timezone.now()
        card.save(update_fields=["suspended_at"])
        summary = key_concepts_summary(user, subject, ["ribosome", "Enzymes"], ENGLISH_SOURCE)

        assert review_cards_from_summary(summary_id=summary.pk) == 1
        assert carded(user, subject) == ["Ribosomes", "Enzymes"]


class TestFrontAndBack:
    def review(self, client: APIClient, card_id: int) -> dict[str, Any]:
        response = client.post(f"/api/personalization/reviews/{card_id}/", {"rating": "good"})
        assert response.status_code == 200, response.content
        return dict(response.json()["answer"])

    def test_the_front_blanks_the_concept_in_its_source_sentence_the_back_shows_it(
        self, auth_client: APIClient, user: User, subject: Subject
    ) -> None:
        summary = key_concepts_summary(user, subject, ["Calvin cycle"], ENGLISH_SOURCE)
        review_cards_from_summary(summary_id=summary.pk)

        [front] = auth_client.get(DUE).json()["results"]

        assert front["concept"] is None  # hidden until rated
        assert front["cloze"] == {
            "text": "The _____ fixes carbon dioxide into sugar.",
            "hint": "C_____ c____",
        }
        back = self.review(auth_client, front["id"])
        assert back["concept"] == "Calvin cycle"
        assert back["explanation"] == "The Calvin cycle fixes carbon dioxide into sugar."
        assert back["summary"] == summary.pk

    def test_a_korean_concept_is_found_however_the_sentence_spaces_it(
        self, auth_client: APIClient, user: User, subject: Subject
    ) -> None:
        # The list writes 캘빈회로 solid; the source spaces it.
        summary = key_concepts_summary(user, subject, ["캘빈회로"], KOREAN_SOURCE)
        review_cards_from_summary(summary_id=summary.pk)

        [front] = auth_client.get(DUE).json()["results"]

        assert front["cloze"] == {
            "text": "_____는 이산화탄소를 고정해 당을 만든다.",
            "hint": "캘___",
        }
        back = self.review(auth_client, front["id"])
        assert back["explanation"] == "캘빈 회로는 이산화탄소를 고정해 당을 만든다."

    def test_a_summary_through_the_api_gives_capped_cards_with_sentences(
        self,
        auth_client: APIClient,
        user: User,
        subject: Subject,
        settings: Any,
        django_capture_on_commit_callbacks: Any,
    ) -> None:
        settings.REVIEW_MAX_CARDS_PER_SUMMARY = 3
        body = {"subject_id": subject.pk, "content": ENGLISH_TEXT, "summary_type": "brief"}
        with django_capture_on_commit_callbacks(execute=True):
            response = auth_client.post("/api/study/generate-summary/", body)
        assert response.status_code == 202, response.content

        due = auth_client.get(DUE).json()
        assert 1 <= due["count"] <= 3
        assert any(row["cloze"] for row in due["results"]), "the summary has sentences"
        of_summary = ReviewCard.objects.filter(user=user, summary_id=response.json()["id"])
        assert of_summary.count() == due["count"]
