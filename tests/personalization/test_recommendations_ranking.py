"""The pure parts of the recommendation engine: diversity re-rank and text similarity."""

from __future__ import annotations

from collections import Counter

from personalization.recommendations import Recommendation, RecommendationType
from personalization.recommendations.ranking import best_first, diversified, unique
from personalization.recommendations.similarity import (
    SubjectText,
    Vector,
    cosine,
    inverse_document_frequency,
    tfidf_vector,
)

T = RecommendationType


def rec(kind: RecommendationType, key: str, score: float) -> Recommendation:
    return Recommendation(type=kind, key=key, score=score, reason="")


def test_no_type_fills_more_than_three_of_the_top_ten() -> None:
    many = [rec(T.REVIEW, f"r{n}", 0.9 - n / 100) for n in range(8)]
    many += [rec(T.POPULAR_SUBJECT, f"p{n}", 0.2 - n / 100) for n in range(8)]
    many += [rec(T.GOAL, f"g{n}", 0.5 - n / 100) for n in range(8)]
    many += [rec(T.WEAK_TOPIC, f"w{n}", 0.6 - n / 100) for n in range(8)]
    ranked = diversified(best_first(many))
    assert len(ranked) == len(many)
    top = ranked[:10]
    assert max(Counter(r.type for r in top).values()) == 3
    # Within the cap, the best first: the top ten are the three best of each of the three best
    # types, then the best popular subject.
    assert [r.key for r in top] == ["r0", "r1", "r2", "w0", "w1", "w2", "g0", "g1", "g2", "p0"]
    assert [r.key for r in ranked[10:13]] == ["r3", "r4", "r5"]


def test_the_list_ends_early_rather_than_break_the_cap() -> None:
    only = [rec(T.POPULAR_SUBJECT, f"p{n}", 0.3) for n in range(5)]
    only += [rec(T.POPULAR_QUIZ, "q", 0.1)]
    assert [r.key for r in diversified(best_first(only))] == ["p0", "p1", "p2", "q"]


def test_unique_keeps_the_best_scoring_suggestion_of_a_thing() -> None:
    found = [rec(T.POPULAR_SUBJECT, "subject:1", 0.2), rec(T.SIMILAR_SUBJECT, "subject:1", 0.5)]
    assert [r.type for r in unique(found)] == [T.SIMILAR_SUBJECT]


def tfidf_vectors(subjects: list[SubjectText]) -> dict[int, Vector]:
    """Each subject's vector with idf over these subjects, as the public index builds them."""
    idf = inverse_document_frequency(subjects)
    return {s.id: tfidf_vector(s, idf) for s in subjects}


def subject(pk: int, name: str, category: str = "", tags: tuple[str, ...] = (), text: str = ""):
    return SubjectText(id=pk, name=name, category=category, tags=list(tags), description=text)


def test_shared_category_and_tags_make_subjects_similar() -> None:
    vectors = tfidf_vectors(
        [
            subject(1, "Biology", "science", ("cells", "genetics"), "How living things work"),
            subject(2, "Cell biology", "science", ("cells",), "Membranes and organelles"),
            subject(3, "Poetry", "literature", ("verse",), "Reading and writing poems"),
            subject(4, "Chemistry", "science", (), "Atoms and reactions"),
        ]
    )
    assert cosine(vectors[1], vectors[2]) > cosine(vectors[1], vectors[4]) > 0
    assert cosine(vectors[1], vectors[3]) == 0
    assert abs(cosine(vectors[1], vectors[1]) - 1) < 1e-9


def test_korean_text_is_tokenized() -> None:
    vectors = tfidf_vectors(
        [
            subject(1, "선형대수", "수학", text="행렬과 벡터"),
            subject(2, "해석학", "수학", text="극한"),
        ]
    )
    assert cosine(vectors[1], vectors[2]) > 0
