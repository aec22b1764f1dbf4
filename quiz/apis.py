"""Quiz endpoints: thin views over services and selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from django.http import HttpResponse
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from study.selectors import subject_cache_tags
from studymate_api.ai import AIThrottled
from studymate_api.core.conditional import etag_cached
from studymate_api.core.errors import Conflict, InsufficientCredits, NotFound, PermissionDenied
from studymate_api.core.idempotency import idempotent
from studymate_api.core.locations import location
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated

from . import adaptive, selectors, services
from .caching import QUIZZES_TAG, quiz_cache, quiz_detail_key
from .models import Question, Quiz, QuizAttempt
from .serializers import (
    AnalyticsOutputSerializer,
    AnswerOutputSerializer,
    AttemptOutputSerializer,
    AttemptStartInputSerializer,
    AttemptStartOutputSerializer,
    ManualGradeInputSerializer,
    NextQuestionOutputSerializer,
    QuestionInputSerializer,
    QuestionListQuerySerializer,
    QuestionOutputSerializer,
    QuestionUpdateInputSerializer,
    QuizCreateInputSerializer,
    QuizGenerateInputSerializer,
    QuizInputSerializer,
    QuizListQuerySerializer,
    QuizOutputSerializer,
    ResultOutputSerializer,
    ResultSummaryOutputSerializer,
    SubmitAnswerInputSerializer,
)

if TYPE_CHECKING:
    from accounts.models import User

# What the quiz catalogue's answers are read from: quizzes, and which subjects exist.
CATALOGUE_TAGS = (QUIZZES_TAG, *subject_cache_tags())


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


def _quiz_data(quiz: Quiz, user: User) -> Any:
    return QuizOutputSerializer(quiz, context={"user_id": user.pk}).data


# --- quizzes ------------------------------------------------------------------------------------


class QuizListApi(ListAPIView[Quiz]):
    serializer_class = QuizOutputSerializer
    queryset = Quiz.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[QuizListQuerySerializer])
    @etag_cached(tags=CATALOGUE_TAGS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List quizzes

        Public quizzes and your own, newest first; `mine=true` for only yours. Correct answers
        appear only in your own quizzes.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(QuizListQuerySerializer, self.request.query_params.dict())
        filters = selectors.QuizFilters(subject_id=query.pop("subject", None), **query)
        return selectors.quiz_list(user=_user(self.request), filters=filters)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "user_id": self.request.user.pk}

    @extend_schema(
        request=QuizCreateInputSerializer,
        responses={201: QuizOutputSerializer, **raises(NotFound)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Create a quiz

        `questions` may be given inline, each with its `choices`; a question that cannot be graded
        as its type says is a 400 naming it (`questions[0]`). The `subject` must be one you can see.
        Answers 201 with the quiz, correct answers included.
        """
        data = validated(QuizCreateInputSerializer, request.data)
        quiz = services.quiz_create(owner=_user(request), **data)
        headers = location(request, "quiz:quiz", quiz_id=quiz.pk)
        return Response(
            _quiz_data(quiz, _user(request)), status=status.HTTP_201_CREATED, headers=headers
        )


def _routed_quiz_id(request: Request) -> int:
    return int((request.parser_context or {})["kwargs"]["quiz_id"])


def _quiz_detail_tags(request: Request) -> list[str]:
    return selectors.quiz_detail_tags(_routed_quiz_id(request))


def _quiz_detail_keys(request: Request, user: User) -> list[str]:
    """The cached detail this request will read: read ahead with its authentication (the
    detail needs only the user's id)."""
    return [quiz_detail_key(_routed_quiz_id(request))]


class QuizDetailApi(APIView):
    @extend_schema(responses={200: QuizOutputSerializer, **raises(NotFound)})
    @etag_cached(tags=_quiz_detail_tags, cache=quiz_cache, read_ahead=_quiz_detail_keys)
    def get(self, request: Request, quiz_id: int) -> HttpResponse:
        """Get a quiz with its questions

        A public quiz or one of yours. Correct answers, accepted answers, rubrics and explanations
        appear only when the quiz is yours.
        """
        body = selectors.quiz_detail(user=_user(request), quiz_id=quiz_id)
        return HttpResponse(body, content_type="application/json")

    @extend_schema(
        request=QuizInputSerializer,
        responses={200: QuizOutputSerializer, **raises(PermissionDenied, NotFound)},
    )
    def put(self, request: Request, quiz_id: int) -> Response:
        """Replace a quiz's settings

        Only its owner may change a quiz: another learner's public quiz is 403. `title` is required;
        fields left out keep their values. Questions are changed through `/api/quiz/questions/`.
        """
        return self._update(request, quiz_id, partial=False)

    @extend_schema(
        request=QuizInputSerializer,
        responses={200: QuizOutputSerializer, **raises(PermissionDenied, NotFound)},
    )
    def patch(self, request: Request, quiz_id: int) -> Response:
        """Update some settings of a quiz

        Only the fields sent change; the same rules as PUT.
        """
        return self._update(request, quiz_id, partial=True)

    @extend_schema(
        responses={
            204: None,
            **raises(PermissionDenied, NotFound, Conflict),
        }
    )
    def delete(self, request: Request, quiz_id: int) -> Response:
        """Delete a quiz

        Only its owner may delete it. A quiz other learners have taken cannot be deleted: 409
        `conflict`; make it private instead.
        """
        services.quiz_delete(user=_user(request), quiz_id=quiz_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, quiz_id: int, *, partial: bool) -> Response:
        data = validated(QuizInputSerializer, request.data, partial=partial)
        quiz = services.quiz_update(user=_user(request), quiz_id=quiz_id, data=data)
        return Response(_quiz_data(quiz, _user(request)))


class QuizGenerateApi(APIView):
    @extend_schema(
        request=QuizGenerateInputSerializer,
        responses={
            202: QuizOutputSerializer,
            **raises(NotFound, InsufficientCredits, AIThrottled),
        },
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Generate a quiz with AI

        Writes a private quiz of `num_questions` questions from `source_text`, or from one of your
        summaries (`summary_id`), in the subject `subject_id`. The material needs at least 50
        characters: less is a 400 `validation_error` on the field that gave it, saying how much
        it has. Answers 202 with the quiz in `generation_status: pending` and generates it in the
        background: read it again at `Location` until it is `ready` (with its questions and their
        correct answers) or `failed` (with `generation_error_code` and `generation_error`). When
        the generation finishes before the answer, the answer already shows the final status. A
        quiz that is not ready cannot be started (409 `conflict`) and only you see it.

        Generation spends AI credits, only when the quiz is generated (a failed generation costs
        nothing): without enough, the answer is 402 `insufficient_credits`, or the quiz fails with
        that `generation_error_code` when it was generated in the background.
        """
        data = validated(QuizGenerateInputSerializer, request.data)
        data["source_text"] = data.get("source_text") or ""
        # As generated already when the commit hooks ran the generation (eager Celery).
        quiz = services.quiz_generate(user=_user(request), **data)
        headers = location(request, "quiz:quiz", quiz_id=quiz.pk)
        return Response(
            _quiz_data(quiz, _user(request)), status=status.HTTP_202_ACCEPTED, headers=headers
        )


class QuizAnalyticsApi(APIView):
    @extend_schema(
        responses={200: AnalyticsOutputSerializer, **raises(NotFound)},
    )
    def get(self, request: Request, quiz_id: int) -> Response:
        """Get a quiz's results across learners

        Attempts, scores, pass rate, per-question correct rates, discrimination and choice counts,
        and the hardest questions. For the quiz owner only; anyone else gets 404.
        """
        return Response(selectors.quiz_analytics(user=_user(request), quiz_id=quiz_id))


# --- questions ----------------------------------------------------------------------------------


class QuestionListApi(ListAPIView[Question]):
    serializer_class = QuestionOutputSerializer
    queryset = Question.objects.none()
    filter_backends = ()

    @extend_schema(parameters=[QuestionListQuerySerializer])
    @etag_cached(tags=CATALOGUE_TAGS)
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List questions

        Questions of the quizzes you can see, filtered by `quiz` or `question_type`; correct answers
        only in your own quizzes.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(QuestionListQuerySerializer, self.request.query_params.dict())
        return selectors.question_list(
            user=_user(self.request),
            quiz_id=query.get("quiz"),
            question_type=query.get("question_type"),
        )

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "user_id": self.request.user.pk}

    @extend_schema(
        request=QuestionInputSerializer,
        responses={201: QuestionOutputSerializer, **raises(PermissionDenied, NotFound)},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """Add a question to one of your quizzes

        Choice questions need at least two `choices` with the right ones marked; short answers need
        `accepted_answers`. Another learner's public quiz is 403. Answers 201 with the question.
        """
        data = validated(QuestionInputSerializer, request.data)
        user = _user(request)
        question = services.question_create(user=user, quiz_id=data.pop("quiz_id"), data=data)
        question = selectors.question_get(user=user, question_id=question.pk)
        body = QuestionOutputSerializer(question, context={"user_id": user.pk}).data
        headers = location(request, "quiz:question", question_id=question.pk)
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class QuestionDetailApi(APIView):
    @extend_schema(responses={200: QuestionOutputSerializer, **raises(NotFound)})
    @etag_cached(tags=CATALOGUE_TAGS)
    def get(self, request: Request, question_id: int) -> Response:
        """Get a question

        Its correct answers only when the quiz is yours.
        """
        return Response(_question_data(_user(request), question_id))

    @extend_schema(
        request=QuestionUpdateInputSerializer,
        responses={
            200: QuestionOutputSerializer,
            **raises(PermissionDenied, NotFound, Conflict),
        },
    )
    def put(self, request: Request, question_id: int) -> Response:
        """Replace a question

        Only the quiz owner may change it (403 otherwise). `question_type` and `text` are required.
        `choices`, when sent, replace the old ones; once the question has answers that is 409
        `conflict`.
        """
        return self._update(request, question_id, partial=False)

    @extend_schema(
        request=QuestionUpdateInputSerializer,
        responses={
            200: QuestionOutputSerializer,
            **raises(PermissionDenied, NotFound, Conflict),
        },
    )
    def patch(self, request: Request, question_id: int) -> Response:
        """Update some fields of a question

        Only the fields sent change; the same rules as PUT.
        """
        return self._update(request, question_id, partial=True)

    @extend_schema(responses={204: None, **raises(PermissionDenied, NotFound)})
    def delete(self, request: Request, question_id: int) -> Response:
        """Delete a question

        Only the quiz owner may delete it.
        """
        services.question_delete(user=_user(request), question_id=question_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, question_id: int, *, partial: bool) -> Response:
        data = validated(QuestionUpdateInputSerializer, request.data, partial=partial)
        services.question_update(user=_user(request), question_id=question_id, data=data)
        return Response(_question_data(_user(request), question_id))


def _question_data(user: User, question_id: int) -> Any:
    question = selectors.question_get(user=user, question_id=question_id)
    return QuestionOutputSerializer(question, context={"user_id": user.pk}).data


# --- attempts -----------------------------------------------------------------------------------


class AttemptStartApi(APIView):
    @extend_schema(
        request=AttemptStartInputSerializer,
        responses={201: AttemptStartOutputSerializer, **raises(NotFound, Conflict)},
    )
    @idempotent
    def post(self, request: Request, quiz_id: int) -> Response:
        """Start a quiz attempt

        Draws the questions (and their choices' order) and freezes them; the answer lists them
        without their answers, with `expires_at` when the quiz has a time limit. 409 `conflict` once
        your `max_attempts` are used, when the quiz has no questions, or while a quiz generated with
        AI is not `ready` (`generation_status`). The body is optional: `{"mode": "adaptive"}` serves
        the quiz's questions one at a time from `GET /api/quiz/attempts/{id}/next_question/`
        instead (`questions_per_attempt` of them, or half the pool), optionally ending early at
        `stop_at_standard_error`.
        """
        data = validated(AttemptStartInputSerializer, request.data)
        attempt = services.attempt_start(
            user=_user(request),
            quiz_id=quiz_id,
            mode=data["mode"],
            stop_at_standard_error=data.get("stop_at_standard_error"),
        )
        row = selectors.attempt_row(attempt, with_result=False)
        headers = location(request, "quiz:attempt", attempt_id=attempt.pk)
        body = AttemptStartOutputSerializer(row).data
        return Response(body, status=status.HTTP_201_CREATED, headers=headers)


class SubmitAnswerApi(APIView):
    @extend_schema(
        request=SubmitAnswerInputSerializer,
        responses={200: AnswerOutputSerializer, **raises(NotFound, Conflict)},
    )
    @idempotent
    def post(self, request: Request) -> Response:
        """Answer a question of your attempt

        Grades at once; essays answer `status: grading` and are graded in the background. Whether
        `correct_answer` and `explanation` are shown now depends on the quiz's `show_answers`. 409
        `conflict` when the question is answered already, or the attempt is finished or past
        `expires_at`.
        """
        data = validated(SubmitAnswerInputSerializer, request.data)
        answer = services.answer_submit(user=_user(request), **data)
        attempt, question = answer.attempt, answer.question
        row = selectors.answer_row(answer, question, reveal=selectors.answers_revealed(attempt))
        return Response(AnswerOutputSerializer(row).data)


class AttemptDetailApi(APIView):
    @extend_schema(responses={200: AttemptOutputSerializer, **raises(NotFound)})
    def get(self, request: Request, attempt_id: int) -> Response:
        """Get one of your attempts

        Its questions, your answers so far and, once finished, the score.
        """
        attempt = selectors.attempt_get(user=_user(request), attempt_id=attempt_id)
        return Response(AttemptOutputSerializer(selectors.attempt_row(attempt)).data)


class AttemptNextQuestionApi(APIView):
    @extend_schema(
        responses={
            200: NextQuestionOutputSerializer,
            **raises(NotFound, Conflict),
        },
    )
    def get(self, request: Request, attempt_id: int) -> Response:
        """Get the next question of an adaptive attempt

        The unanswered question whose predicted success for you (the learner model, with difficulty
        learned from every learner's answers) is inside the target band, nearest its middle. Asking
        again before answering gives the same question; `question` is null once the attempt has all
        its answers or is finished. 409 `conflict` for an attempt that is not adaptive.
        """
        result = adaptive.attempt_next_question(user=_user(request), attempt_id=attempt_id)
        low, high = result.target_success_rate
        data = {**result.__dict__, "target_success_rate": {"min": low, "max": high}}
        return Response(NextQuestionOutputSerializer(data).data)


class AttemptFinishApi(APIView):
    @extend_schema(
        request=None,
        responses={200: AttemptOutputSerializer, **raises(NotFound, Conflict)},
    )
    @idempotent
    def post(self, request: Request, attempt_id: int) -> Response:
        """Finish an attempt

        Scores the attempt and logs its time as study in the quiz's subject. Essays still being
        graded count 0 until graded; their grade then updates the score. 409 `conflict` when it is
        finished already.
        """
        user = _user(request)
        finished = services.attempt_finish(user=user, attempt_id=attempt_id)
        row = selectors.attempt_row(finished.attempt, answers=finished.answers)
        return Response(AttemptOutputSerializer(row).data)


class AnswerGradeApi(APIView):
    @extend_schema(
        request=ManualGradeInputSerializer,
        responses={200: AnswerOutputSerializer, **raises(NotFound)},
    )
    def post(self, request: Request, answer_id: int) -> Response:
        """Grade an answer by hand

        The quiz owner's grade of an answer (an essay awaiting review, or an override of any grade),
        from 0 to the question's points; updates a finished attempt's score. Answers to quizzes that
        are not yours are 404.
        """
        data = validated(ManualGradeInputSerializer, request.data)
        answer = services.answer_grade_manual(user=_user(request), answer_id=answer_id, **data)
        row = selectors.answer_row(answer, answer.question, reveal=True)
        return Response(AnswerOutputSerializer(row).data)


class ResultListApi(ListAPIView[QuizAttempt]):
    serializer_class = ResultOutputSerializer
    queryset = QuizAttempt.objects.none()
    filter_backends = ()

    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """List your quiz results

        Your finished attempts, newest first.
        """
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        return selectors.result_list(user=_user(self.request))


class ResultSummaryApi(APIView):
    @extend_schema(
        responses={200: ResultSummaryOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        """Summarize your quiz accuracy

        Your accuracy over your finished attempts, by subject and by topic, and your weakest topics.
        """
        return Response(selectors.result_summary(user=_user(request)))
