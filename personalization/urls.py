from django.urls import path

from .apis import knowledge

app_name = "personalization"

urlpatterns = [
    path(
        "adaptive_difficulty/",
        knowledge.AdaptiveDifficultyApi.as_view(),
        name="adaptive-difficulty",
    ),
]
