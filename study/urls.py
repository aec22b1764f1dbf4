from django.urls import path

from . import apis

app_name = "study"

urlpatterns = [
    path("subjects/", apis.SubjectListApi.as_view(), name="subjects"),
    path("subjects/popular/", apis.SubjectPopularApi.as_view(), name="subjects-popular"),
    path("subjects/<int:subject_id>/", apis.SubjectDetailApi.as_view(), name="subject"),
    path("generate-summary/", apis.SummaryGenerateApi.as_view(), name="generate-summary"),
    path("summaries/", apis.SummaryListApi.as_view(), name="summaries"),
    path("summaries/<int:summary_id>/", apis.SummaryDetailApi.as_view(), name="summary"),
    path(
        "summaries/<int:summary_id>/stream/",
        apis.SummaryStreamApi.as_view(),
        name="summary-stream",
    ),
    path(
        "summaries/<int:summary_id>/stream-ticket/",
        apis.SummaryStreamTicketApi.as_view(),
        name="summary-stream-ticket",
    ),
    path("progress/", apis.ProgressApi.as_view(), name="progress"),
    path("progress/<int:subject_id>/", apis.ProgressDetailApi.as_view(), name="progress-subject"),
    path("goals/", apis.GoalListApi.as_view(), name="goals"),
    path("goals/<int:goal_id>/", apis.GoalDetailApi.as_view(), name="goal"),
    path("settings/", apis.StudySettingsApi.as_view(), name="settings"),
]
