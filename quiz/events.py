"""Events of the quiz domain, as stored in the event store. Other apps subscribe to these
objects (never to the names as strings).

- AnswerGraded (quiz_answer:<answer id>): `answer_submit` (an automatic grade in an adaptive
  attempt), `essay_grade` (the AI's), `answer_grade_manual` (the owner's); once per grade, a
  regrade again.
- QuizCompleted (quiz_attempt:<attempt id>): `attempt_finish`.
- QuizGenerated (quiz:<quiz id>): the AI generation of a quiz stored its questions
  (`services.generation`); once per quiz. A failed generation is no event: nobody reacts to it.

An adaptive attempt's automatic grades are one AnswerGraded each: the learner model must learn
from each answer while the attempt is still running (it picks the next question). A fixed
attempt's automatic grades are not: nothing needs them before the finish, so its QuizCompleted
tells of them all at once (`graded_answers`, with what the learner model needs of each, so
hearing them costs no query), and an answer costs no event and no delivery. Essays and the
owner's grades are AnswerGraded in both modes: they come whenever the grader gets to them,
before the finish or after it. QuizCompleted carries the attempt's time: finishing logs it as
study progress without a StudyTimeLogged of its own.
"""

from __future__ import annotations

from typing import NotRequired, TypedDict

from studymate_api.cqrs import EventType

QUIZ = "quiz"
QUIZ_ANSWER = "quiz_answer"
QUIZ_ATTEMPT = "quiz_attempt"


class AnswerGradedPayload(TypedDict):
    answer_id: int
    attempt_id: int
    user_id: int
    question_id: int
    # What consumers filter on without a query (notifications care about essays only).
    question_type: str
    # The grade, the question's topic tags and authored difficulty and the quiz's subject, as
    # the learner model reads them (no query). Events recorded before these were added lack
    # them: a consumer then reads the answer.
    correct: NotRequired[bool]
    topics: NotRequired[list[str]]
    difficulty: NotRequired[str]
    subject_id: NotRequired[int | None]
    subject_name: NotRequired[str | None]
    # How long the learner took (`UserAnswer.response_seconds`); spaced review reads it.
    response_seconds: NotRequired[float | None]


class GradedAnswerPayload(TypedDict):
    answer_id: int
    question_id: int
    correct: bool
    # The question's topic tags and authored difficulty, as the learner model reads them.
    topics: list[str]
    difficulty: str
    # How long the learner took; events recorded before it was told lack it.
    response_seconds: NotRequired[float | None]


class QuizCompletedPayload(TypedDict):
    attempt_id: int
    quiz_id: int
    user_id: int
    subject_id: int | None
    subject_name: str | None
    # "fixed": the attempt's automatic grades were told by no AnswerGraded (see above); they
    # are in `graded_answers`, every answer graded by the finish, in answer order (empty for
    # an adaptive attempt, whose answers were told one by one).
    mode: str
    graded_answers: list[GradedAnswerPayload]
    score: float
    max_score: float
    percentage: float
    # None while essays wait for their grade (`pending_essays`): the score leaves them out.
    passed: bool | None
    time_spent_seconds: int | None
    finished_at: str | None
    # The learner's time zone (an IANA name) when they finished: their local hour of it.
    timezone: str
    # Essays answered: they may still be grading (their AnswerGraded comes later).
    essay_answers: int
    # Of those, the ones without their grade yet (grading, or waiting for the owner's review).
    # Events recorded before it was told lack it.
    pending_essays: NotRequired[int]


class QuizGeneratedPayload(TypedDict):
    quiz_id: int
    # Its author; None only once their account was erased (a quiz made public outlives them).
    user_id: int | None
    subject_id: int | None
    title: str
    questions: int


ANSWER_GRADED = EventType("AnswerGraded", aggregate=QUIZ_ANSWER, payload=AnswerGradedPayload)
QUIZ_COMPLETED = EventType("QuizCompleted", aggregate=QUIZ_ATTEMPT, payload=QuizCompletedPayload)
QUIZ_GENERATED = EventType("QuizGenerated", aggregate=QUIZ, payload=QuizGeneratedPayload)
