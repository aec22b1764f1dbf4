"""Recommendation endpoints: thin views over the recommendation engine."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.serializers import validated

from ..recommendations import recommendation_list, subject_recommendation_list
from ..serializers.recommendations import (
    RecommendationOutputSerializer,
    RecommendationQuerySerializer,
    SubjectRecommendationOutputSerializer,
)

if TYPE_CHECKING:
    from accounts.models import User

RANKING = (
    "Ranked by score, with at most 3 of one type in the top 10 (the list ends early rather "
    "than break that). Only what you may see: public subjects and quizzes and your own."
)


class RecommendationListApi(APIView):
    @extend_schema(
        parameters=[RecommendationQuerySerializer],
        responses={200: RecommendationOutputSerializer(many=True)},
        description="Due reviews, your weakest topics, goals behind pace, subjects like the "
        "ones you do well in, and popular subjects and quizzes. " + RANKING,
    )
    def get(self, request: Request) -> Response:
        """Recommend what to study next"""
        limit = validated(RecommendationQuerySerializer, request.query_params.dict())["limit"]
        rows = recommendation_list(user=cast("User", request.user), limit=limit)
        return Response(RecommendationOutputSerializer(rows, many=True).data)


# Mounted at `/api/study/subjects/personalized_recommendations/` (studymate_api/urls.py): the
# study app cannot import personalization, which already imports it.
class SubjectRecommendationListApi(APIView):
    @extend_schema(
        operation_id="study_subjects_personalized_recommendations_list",
        tags=["study"],
        parameters=[RecommendationQuerySerializer],
        responses={200: SubjectRecommendationOutputSerializer(many=True)},
        description="One suggestion per subject, from the same engine as "
        "`/api/personalization/recommendations/`. " + RANKING,
    )
    def get(self, request: Request) -> Response:
        """Recommend subjects to study next"""
        limit = validated(RecommendationQuerySerializer, request.query_params.dict())["limit"]
        rows = subject_recommendation_list(user=cast("User", request.user), limit=limit)
        return Response(SubjectRecommendationOutputSerializer(rows, many=True).data)
