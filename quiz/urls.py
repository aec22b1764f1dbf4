from django.urls import path

from . import apis

app_name = "quiz"

urlpatterns = [
    path("quizzes/", apis.QuizListApi.as_view(), name="quizzes"),
    path("quizzes/generate/", apis.QuizGenerateApi.as_view(), name="quiz-generate"),
    path("quizzes/<int:quiz_id>/", apis.QuizDetailApi.as_view(), name="quiz"),
    path("quizzes/<int:quiz_id>/attempts/", apis.AttemptStartApi.as_view(), name="attempt-start"),
    path(
        "quizzes/<int:quiz_id>/analytics/", apis.QuizAnalyticsApi.as_view(), name="quiz-analytics"
    ),
    path("questions/", apis.QuestionListApi.as_view(), name="questions"),
    path("questions/<int:question_id>/", apis.QuestionDetailApi.as_view(), name="question"),
    path("submit-answer/", apis.SubmitAnswerApi.as_view(), name="submit-answer"),
    path("attempts/<int:attempt_id>/", apis.AttemptDetailApi.as_view(), name="attempt"),
    path(
        "attempts/<int:attempt_id>/next_question/",
        apis.AttemptNextQuestionApi.as_view(),
        name="attempt-next-question",
    ),
    path(
        "attempts/<int:attempt_id>/finish/", apis.AttemptFinishApi.as_view(), name="attempt-finish"
    ),
    path("answers/<int:answer_id>/grade/", apis.AnswerGradeApi.as_view(), name="answer-grade"),
    path("results/", apis.ResultListApi.as_view(), name="results"),
    path("results/summary/", apis.ResultSummaryApi.as_view(), name="results-summary"),
]
