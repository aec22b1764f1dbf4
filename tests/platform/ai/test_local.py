"""The offline provider does real work on real Korean and English text: extractive summaries of
the source's own sentences, key concepts, quiz questions answerable from the text, essay grades
by the rubric points the essay explains in sentences (with a low confidence), answers from the
learner's material."""

from __future__ import annotations

import json
import re

import pytest

from studymate_api.ai import (
    AITask,
    ChatInput,
    ConceptList,
    EssayGrade,
    EssayInput,
    QuestionType,
    QuizInput,
    QuizQuestionSet,
    RubricCriterion,
    TextInput,
    generate,
)
from studymate_api.ai.local.text import split_sentences
from studymate_api.ai.tokens import approx_tokens
from tests.platform.ai.texts import EN, KO

pytestmark = pytest.mark.django_db

SUMMARIES = [AITask.SUMMARY_BRIEF, AITask.SUMMARY_DETAILED, AITask.SUMMARY_BULLETS]


def _sentences(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


def test_sentences_split_for_korean_and_english():
    assert _sentences("광합성은 중요하다. 왜 그럴까? 빛이 필요해요! 끝。다음") == [
        "광합성은 중요하다.",
        "왜 그럴까?",
        "빛이 필요해요!",
        "끝。",
        "다음",
    ]
    assert _sentences("Dr. Kim works in the U.S. with e.g. plants. It is 3.5 m tall.") == [
        "Dr. Kim works in the U.S. with e.g. plants.",
        "It is 3.5 m tall.",
    ]


@pytest.mark.parametrize("source", [KO, EN], ids=["korean", "english"])
@pytest.mark.parametrize("task", SUMMARIES)
def test_a_summary_is_shorter_and_made_of_source_sentences(source, task):
    result = generate(task, TextInput(source))

    assert result.provider == "local"
    assert 0 < len(result.text) < len(source)
    chosen = _sentences(result.text.replace("- ", ""))
    assert chosen
    assert set(chosen) <= set(_sentences(source))
    assert generate(task, TextInput(source)).text == result.text  # deterministic


@pytest.mark.parametrize("source", [KO, EN], ids=["korean", "english"])
def test_summary_lengths_and_shapes(source):
    brief = generate(AITask.SUMMARY_BRIEF, TextInput(source)).text
    detailed = generate(AITask.SUMMARY_DETAILED, TextInput(source)).text
    bullets = generate(AITask.SUMMARY_BULLETS, TextInput(source)).text.split("\n")

    assert len(_sentences(brief)) <= 3 < len(_sentences(detailed)) < len(_sentences(source))
    assert 2 <= len(bullets) <= 7
    assert all(line.startswith("- ") for line in bullets)
    # The lead sentence, where the text defines its subject, makes the brief summary.
    assert brief.startswith(_sentences(source)[0])


def test_key_concepts_in_korean():
    result = generate(AITask.KEY_CONCEPTS, TextInput(KO))

    concepts = result.structured(ConceptList).concepts
    assert {"광합성", "빛 에너지", "이산화탄소"} <= set(concepts)
    assert result.text == "\n".join(concepts)
    # Particles are stripped, verb forms are not concepts.
    assert not any(re.search(r"(은|는|을|를|이다|한다)$", c) for c in concepts)


def test_key_concepts_in_english():
    concepts = generate(AITask.KEY_CONCEPTS, TextInput(EN)).structured(ConceptList).concepts

    assert {"photosynthesis", "carbon dioxide", "light energy", "Calvin cycle"} <= set(concepts)
    assert not {"the", "process", "is"} & {c.lower() for c in concepts}


@pytest.mark.parametrize("source", [KO, EN], ids=["korean", "english"])
def test_quiz_questions_come_from_the_text(source):
    request = QuizInput(source, count=5, types=tuple(QuestionType))

    questions = generate(AITask.QUIZ_QUESTIONS, request).structured(QuizQuestionSet).questions

    assert len(questions) == 5
    assert {q.type for q in questions} == set(QuestionType)
    for question in questions:
        assert question.source in source
        if question.type in {QuestionType.MULTIPLE_CHOICE, QuestionType.SHORT_ANSWER}:
            [answer] = question.answers
            assert answer in question.source
            assert "_____" in question.question
        if question.type is QuestionType.MULTIPLE_CHOICE:
            assert len(question.choices) == 4
            assert question.answers[0] in question.choices
        if question.type is QuestionType.MULTIPLE_SELECT:
            assert all(answer in source for answer in question.answers)
            assert any(choice not in source for choice in question.choices)


def test_quiz_generation_respects_types_and_is_deterministic():
    request = QuizInput(EN, count=3, types=(QuestionType.TRUE_FALSE,))

    first = generate(AITask.QUIZ_QUESTIONS, request)
    questions = first.structured(QuizQuestionSet).questions

    assert [q.type for q in questions] == ["true_false"] * 3
    verdicts = [q.answers[0] for q in questions]
    assert sorted(set(verdicts)) == ["false", "true"]  # see test_local_quiz for the balance
    for question in questions:
        statement = question.question.removeprefix("True or false? ")
        assert (statement in _sentences(EN)) == (question.answers == ["true"])
    assert generate(AITask.QUIZ_QUESTIONS, request).text == first.text


def test_essay_grading_by_key_terms_with_low_confidence():
    rubric = (
        RubricCriterion("Products", 4, keywords=("glucose", "oxygen")),
        RubricCriterion("Stages", 6, keywords=("light-dependent reactions", "Calvin cycle")),
    )
    answer = "Plants use light to make glucose and oxygen. The Calvin cycle fixes carbon dioxide."

    result = generate(
        AITask.ESSAY_GRADING, EssayInput("What does photosynthesis do?", answer, rubric)
    )

    grade = result.structured(EssayGrade)
    assert [(c.criterion, c.score) for c in grade.criteria] == [("Products", 4), ("Stages", 3)]
    assert (grade.score, grade.max_score) == (7, 10)
    assert grade.confidence < 0.5  # a teacher reviews it
    assert "Missing: light-dependent reactions" in grade.criteria[1].feedback


def test_korean_essay_grading_without_keywords_uses_the_reference():
    rubric = (RubricCriterion("정확성", 5, "광합성의 산물을 쓴다"),)
    reference = "광합성은 포도당과 산소를 만든다."
    essay = EssayInput("광합성의 산물은?", "광합성은 포도당을 만든다.", rubric, reference=reference)

    grade = generate(AITask.ESSAY_GRADING, essay).structured(EssayGrade)

    assert 0 < grade.score < 5
    assert grade.confidence <= 0.2
    assert "빠진 핵심어" in grade.criteria[0].feedback


PHOTOSYNTHESIS_RUBRIC = (
    RubricCriterion("장소", 4, keywords=("엽록체", "틸라코이드")),
    RubricCriterion("산물", 6, keywords=("포도당", "산소", "캘빈 회로")),
)


def _korean_essay(answer: str) -> EssayGrade:
    essay = EssayInput("광합성을 설명하세요.", answer, PHOTOSYNTHESIS_RUBRIC)
    return generate(AITask.ESSAY_GRADING, essay).structured(EssayGrade)


def test_an_essay_that_explains_every_point_in_sentences_scores_full():
    grade = _korean_essay(
        "광합성의 명반응은 엽록체 안의 틸라코이드 막에서 빛을 받아 일어난다. "
        "이어서 스트로마의 캘빈회로가 이산화탄소를 고정해 포도당을 만들고, "
        "물이 분해되면서 산소가 나온다."
    )

    assert [(c.criterion, c.score) for c in grade.criteria] == [("장소", 4), ("산물", 6)]
    assert grade.score == 10
    assert "문장으로 설명한 핵심어: 엽록체, 틸라코이드." in grade.criteria[0].feedback
    assert "빠진" not in grade.criteria[1].feedback  # 캘빈회로 is 캘빈 회로
    assert grade.confidence < 0.5


@pytest.mark.parametrize(
    "keyword_list",
    [
        "엽록체, 틸라코이드, 포도당, 산소, 캘빈 회로",
        "엽록체 틸라코이드 포도당 산소 캘빈회로",
        "- 엽록체\n- 틸라코이드\n- 포도당\n- 산소\n- 캘빈 회로",
        "엽록체. 틸라코이드. 포도당. 산소. 캘빈 회로.",
    ],
)
def test_a_list_of_the_keywords_does_not_score(keyword_list):
    grade = _korean_essay(keyword_list)

    assert grade.score == 0
    assert all(c.score == 0 for c in grade.criteria)
    assert "설명 없이 이름만 쓴 핵심어: 엽록체, 틸라코이드." in grade.criteria[0].feedback


def test_only_the_points_explained_earn_their_share():
    grade = _korean_essay("포도당은 광합성으로 만들어진다. 엽록체, 산소.")

    # 포도당 is explained (1 of 3 products: 6 / 3 = 2); 엽록체 and 산소 are only named.
    assert [(c.criterion, c.score) for c in grade.criteria] == [("장소", 0), ("산물", 2)]
    assert "이름만 쓴 핵심어: 엽록체." in grade.criteria[0].feedback
    assert "빠진 핵심어: 틸라코이드." in grade.criteria[0].feedback
    assert "이름만 쓴 핵심어: 산소." in grade.criteria[1].feedback


def test_english_key_terms_match_by_stem_in_a_sentence():
    rubric = (RubricCriterion("Process", 4, keywords=("chloroplast", "light reaction")),)
    answer = "Light reactions happen in the chloroplasts, where pigments absorb photons."
    listed = "Chloroplasts, light reactions."

    explained = generate(AITask.ESSAY_GRADING, EssayInput("Q?", answer, rubric))
    named = generate(AITask.ESSAY_GRADING, EssayInput("Q?", listed, rubric))

    assert explained.structured(EssayGrade).score == 4
    assert named.structured(EssayGrade).score == 0
    assert "Named without explanation: chloroplast, light reaction." in (
        named.structured(EssayGrade).criteria[0].feedback
    )


def test_an_empty_essay_scores_zero():
    rubric = (RubricCriterion("Content", 5, keywords=("glucose",)),)

    grade = generate(AITask.ESSAY_GRADING, EssayInput("Q?", "", rubric)).structured(EssayGrade)

    assert (grade.score, grade.confidence) == (0, 0.1)


def test_chat_answers_from_the_material():
    answer = generate(AITask.CHAT, ChatInput("Where does the Calvin cycle happen?", EN)).text
    korean = generate(AITask.CHAT, ChatInput("명반응은 어디에서 일어나?", KO)).text

    assert "stroma" in answer
    assert "틸라코이드" in korean
    assert "only answer from your study material" in generate(AITask.CHAT, ChatInput("Hi?")).text


def test_token_counts_are_approximate_but_consistent():
    result = generate(AITask.SUMMARY_BRIEF, TextInput(EN))

    assert result.completion_tokens == approx_tokens(result.text)
    assert approx_tokens("광합성") == 3
    assert approx_tokens("photosynthesis") == 4
    assert generate(AITask.SUMMARY_BRIEF, TextInput(EN)).prompt_tokens == result.prompt_tokens


def test_fifty_thousand_characters_give_a_bounded_summary():
    """The most a request accepts; how long it takes is bench/local_ai_bench.py's to measure."""
    text = "\n\n".join([EN, KO] * 60)[:50_000]

    result = generate(AITask.SUMMARY_DETAILED, TextInput(text))

    assert result.text
    assert len(result.text) <= 5000
    json.dumps(result.text)
