from django.urls import path

from .apis import knowledge
from .apis import profile as profile_apis
from .apis import recommendations as recommendation_apis
from .apis import reviews as review_apis

app_name = "personalization"

urlpatterns = [
    path(
        "adaptive_difficulty/",
        knowledge.AdaptiveDifficultyApi.as_view(),
        name="adaptive-difficulty",
    ),
    path("reviews/due/", review_apis.ReviewDueApi.as_view(), name="reviews-due"),
    path("reviews/<int:card_id>/", review_apis.ReviewCardApi.as_view(), name="review-rate"),
    path(
        "reviews/<int:card_id>/suspend/",
        review_apis.ReviewSuspendApi.as_view(),
        name="review-suspend",
    ),
    path(
        "reviews/<int:card_id>/unsuspend/",
        review_apis.ReviewUnsuspendApi.as_view(),
        name="review-unsuspend",
    ),
    path("profile/", profile_apis.ProfileApi.as_view(), name="profile"),
    path("update_pattern/", profile_apis.UpdatePatternApi.as_view(), name="update-pattern"),
    path("analysis_details/", profile_apis.AnalysisDetailsApi.as_view(), name="analysis-details"),
    path("predictions/", profile_apis.PredictionApi.as_view(), name="predictions"),
    path(
        "recommendations/",
        recommendation_apis.RecommendationListApi.as_view(),
        name="recommendations",
    ),
]
