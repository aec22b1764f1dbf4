"""Quiz endpoints: thin views over services and selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import ListAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.serializers import validated

from . import adaptive, selectors, services
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

NOT_FOUND = OpenApiResponse(description="`not_found`: nothing of that id you can see")
CONFLICT = OpenApiResponse(description="`conflict`")
FORBIDDEN = OpenApiResponse(description="`permission_denied`: a public quiz of another user")


def _user(request: Request) -> User:
    # IsAuthenticated (the default permission) lets only signed-in users reach the views.
    return cast("User", request.user)


def _quiz_data(quiz: Quiz, user: User) -> Any:
    return QuizOutputSerializer(quiz, context={"user_id": user.pk}).data


def _quiz_fields(data: dict[str, Any]) -> dict[str, Any]:
    if "subject" in data:
        data["subject_id"] = data.pop("subject")
    return data


# --- quizzes ------------------------------------------------------------------------------------


class QuizListApi(ListAPIView[Quiz]):
    """Public quizzes and your own, newest first; `mine=true` for only yours. Correct answers
    appear only in your own quizzes."""

    serializer_class = QuizOutputSerializer
    queryset = Quiz.objects.none()  # for the schema; requests use get_queryset
    filter_backends = ()

    @extend_schema(parameters=[QuizListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        return super().get(request, *args, **kwargs)

    def get_queryset(self) -> Any:
        query = validated(QuizListQuerySerializer, self.request.query_params.dict())
        filters = selectors.QuizFilters(subject_id=query.pop("subject", None), **query)
        return selectors.quiz_list(user=_user(self.request), filters=filters)

    def get_serializer_context(self) -> dict[str, Any]:
        return {**super().get_serializer_context(), "user_id": self.request.user.pk}

    @extend_schema(
        request=QuizCreateInputSerializer,
        responses={201: QuizOutputSerializer, 404: NOT_FOUND},
        description="`questions` may be given inline, each with its `choices`.",
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = _quiz_fields(validated(QuizCreateInputSerializer, request.data))
        quiz = services.quiz_create(owner=_user(request), **data)
        return Response(_quiz_data(quiz, _user(request)), status=status.HTTP_201_CREATED)


class QuizDetailApi(APIView):
    @extend_schema(responses={200: QuizOutputSerializer, 404: NOT_FOUND})
    def get(self, request: Request, quiz_id: int) -> Response:
        quiz = selectors.quiz_get(user=_user(request), quiz_id=quiz_id)
        return Response(_quiz_data(quiz, _user(request)))

    @extend_schema(
        request=QuizInputSerializer, responses={200: QuizOutputSerializer, 403: FORBIDDEN}
    )
    def put(self, request: Request, quiz_id: int) -> Response:
        return self._update(request, quiz_id, partial=False)

    @extend_schema(
        request=QuizInputSerializer, responses={200: QuizOutputSerializer, 403: FORBIDDEN}
    )
    def patch(self, request: Request, quiz_id: int) -> Response:
        return self._update(request, quiz_id, partial=True)

    @extend_schema(
        responses={
            204: None,
            403: FORBIDDEN,
            404: NOT_FOUND,
            409: OpenApiResponse(description="`conflict`: other learners have taken the quiz"),
        }
    )
    def delete(self, request: Request, quiz_id: int) -> Response:
        services.quiz_delete(user=_user(request), quiz_id=quiz_id)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, quiz_id: int, *, partial: bool) -> Response:
        data = _quiz_fields(validated(QuizInputSerializer, request.data, partial=partial))
        quiz = services.quiz_update(user=_user(request), quiz_id=quiz_id, data=data)
        return Response(_quiz_data(quiz, _user(request)))


class QuizGenerateApi(APIView):
    @extend_schema(
        request=QuizGenerateInputSerializer,
        responses={
            202: QuizOutputSerializer,
            404: NOT_FOUND,
            402: OpenApiResponse(description="`insufficient_credits`"),
        },
        description="Writes a private quiz from `source_text` (or your summary `summary_id`) "
        "through the AI gateway; charged to your AI usage. Generated before the answer.",
    )
    def post(self, request: Request) -> Response:
        data = validated(QuizGenerateInputSerializer, request.data)
        data["source_text"] = data.get("source_text") or ""
        quiz = services.quiz_generate(user=_user(request), **data)
        return Response(_quiz_data(quiz, _user(request)), status=status.HTTP_202_ACCEPTED)


class QuizAnalyticsApi(APIView):
    @extend_schema(
        responses={200: AnalyticsOutputSerializer, 404: NOT_FOUND},
        description="For the quiz owner only; anyone else gets 404.",
    )
    def get(self, request: Request, quiz_id: int) -> Response:
        return Response(selectors.quiz_analytics(user=_user(request), quiz_id=quiz_id))


# --- questions ----------------------------------------------------------------------------------


class QuestionListApi(ListAPIView[Question]):
    """Questions of the quizzes you can see; correct answers only in your own."""

    serializer_class = QuestionOutputSerializer
    queryset = Question.objects.none()
    filter_backends = ()

    @extend_schema(parameters=[QuestionListQuerySerializer])
    def get(self, request: Request, *args: Any, **kwargs: Any) -> Response:
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
        responses={201: QuestionOutputSerializer, 403: FORBIDDEN, 404: NOT_FOUND},
    )
    def post(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        data = validated(QuestionInputSerializer, request.data)
        user = _user(request)
        question = services.question_create(user=user, quiz_id=data.pop("quiz"), data=data)
        question = selectors.question_get(user=user, question_id=question.pk)
        body = QuestionOutputSerializer(question, context={"user_id": user.pk}).data
        return Response(body, status=status.HTTP_201_CREATED)


class QuestionDetailApi(APIView):
    @extend_schema(responses={200: QuestionOutputSerializer, 404: NOT_FOUND})
    def get(self, request: Request, question_id: int) -> Response:
        return Response(_question_data(_user(request), question_id))

    @extend_schema(
        request=QuestionUpdateInputSerializer,
        responses={200: QuestionOutputSerializer, 403: FORBIDDEN, 409: CONFLICT},
    )
    def put(self, request: Request, question_id: int) -> Response:
        return self._update(request, question_id, partial=False)

    @extend_schema(
        request=QuestionUpdateInputSerializer,
        responses={200: QuestionOutputSerializer, 403: FORBIDDEN, 409: CONFLICT},
    )
    def patch(self, request: Request, question_id: int) -> Response:
        return self._update(request, question_id, partial=True)

    @extend_schema(responses={204: None, 403: FORBIDDEN, 404: NOT_FOUND})
    def delete(self, request: Request, question_id: int) -> Response:
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
        responses={201: AttemptStartOutputSerializer, 404: NOT_FOUND, 409: CONFLICT},
        description="Draws the questions (and their choices' order) and freezes them; 409 "
        'once `max_attempts` are used. The body is optional: `{"mode": "adaptive"}` '
        "serves the quiz's questions one at a time from `next_question/` instead.",
    )
    def post(self, request: Request, quiz_id: int) -> Response:
        mode = validated(AttemptStartInputSerializer, request.data)["mode"]
        attempt = services.attempt_start(user=_user(request), quiz_id=quiz_id, mode=mode)
        row = selectors.attempt_row(attempt, with_result=False)
        return Response(AttemptStartOutputSerializer(row).data, status=status.HTTP_201_CREATED)


class SubmitAnswerApi(APIView):
    @extend_schema(
        request=SubmitAnswerInputSerializer,
        responses={200: AnswerOutputSerializer, 404: NOT_FOUND, 409: CONFLICT},
        description="Grades at once; essays answer `status: grading` and are graded in the "
        "background. 409 when answered already, finished or past `expires_at`.",
    )
    def post(self, request: Request) -> Response:
        data = validated(SubmitAnswerInputSerializer, request.data)
        answer = services.answer_submit(user=_user(request), **data)
        attempt, question = answer.attempt, answer.question
        row = selectors.answer_row(answer, question, reveal=selectors.answers_revealed(attempt))
        return Response(AnswerOutputSerializer(row).data)


class AttemptDetailApi(APIView):
    @extend_schema(responses={200: AttemptOutputSerializer, 404: NOT_FOUND})
    def get(self, request: Request, attempt_id: int) -> Response:
        attempt = selectors.attempt_get(user=_user(request), attempt_id=attempt_id)
        return Response(AttemptOutputSerializer(selectors.attempt_row(attempt)).data)


class AttemptNextQuestionApi(APIView):
    @extend_schema(
        responses={
            200: NextQuestionOutputSerializer,
            404: NOT_FOUND,
            409: OpenApiResponse(description="`conflict`: the attempt is not adaptive"),
        },
        description="Adaptive attempts: the unanswered question whose predicted success for you "
        "(the learner model, with difficulty learned from every learner's answers) is inside "
        "the target band, nearest its middle. Asking again before answering gives the same "
        "question; `question` is null once the attempt has all its answers or is finished.",
    )
    def get(self, request: Request, attempt_id: int) -> Response:
        result = adaptive.attempt_next_question(user=_user(request), attempt_id=attempt_id)
        low, high = result.target_success_rate
        data = {**result.__dict__, "target_success_rate": {"min": low, "max": high}}
        return Response(NextQuestionOutputSerializer(data).data)


class AttemptFinishApi(APIView):
    @extend_schema(
        request=None,
        responses={200: AttemptOutputSerializer, 404: NOT_FOUND, 409: CONFLICT},
        description="Scores the attempt; 409 when it is finished already.",
    )
    def post(self, request: Request, attempt_id: int) -> Response:
        user = _user(request)
        services.attempt_finish(user=user, attempt_id=attempt_id)
        attempt = selectors.attempt_get(user=user, attempt_id=attempt_id)
        return Response(AttemptOutputSerializer(selectors.attempt_row(attempt)).data)


class AnswerGradeApi(APIView):
    @extend_schema(
        request=ManualGradeInputSerializer,
        responses={200: AnswerOutputSerializer, 404: NOT_FOUND},
        description="The quiz owner's grade of an answer (essays awaiting review, or any "
        "override); updates a finished attempt's score.",
    )
    def post(self, request: Request, answer_id: int) -> Response:
        data = validated(ManualGradeInputSerializer, request.data)
        answer = services.answer_grade_manual(user=_user(request), answer_id=answer_id, **data)
        row = selectors.answer_row(answer, answer.question, reveal=True)
        return Response(AnswerOutputSerializer(row).data)


class ResultListApi(ListAPIView[QuizAttempt]):
    """Your finished attempts, newest first."""

    serializer_class = ResultOutputSerializer
    queryset = QuizAttempt.objects.none()
    filter_backends = ()

    def get_queryset(self) -> Any:
        return selectors.result_list(user=_user(self.request))


class ResultSummaryApi(APIView):
    @extend_schema(
        responses={200: ResultSummaryOutputSerializer},
        description="Your accuracy over your finished attempts, by subject and by topic, and "
        "your weakest topics.",
    )
    def get(self, request: Request) -> Response:
        return Response(selectors.result_summary(user=_user(request)))
