from django.urls import path

from . import apis

app_name = "cqrs"

urlpatterns = [
    path("subjects/", apis.CqrsSubjectListApi.as_view(), name="subjects"),
    path(
        "subjects/<int:subject_id>/generate_summary/",
        apis.CqrsSummaryGenerateApi.as_view(),
        name="subject-generate-summary",
    ),
    path("study-summaries/", apis.CqrsStudySummaryListApi.as_view(), name="study-summaries"),
    path("study-progress/", apis.CqrsStudyProgressApi.as_view(), name="study-progress"),
    path("study-analytics/", apis.CqrsStudyAnalyticsApi.as_view(), name="study-analytics"),
]
