from django.urls import path

from . import apis

app_name = "personalization"

urlpatterns = [
    path(
        "adaptive_difficulty/",
        apis.AdaptiveDifficultyApi.as_view(),
        name="adaptive-difficulty",
    ),
]
