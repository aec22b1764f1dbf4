"""Personalization endpoints: thin views over selectors."""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from study.selectors import subject_get
from studymate_api.core.errors import NotFound
from studymate_api.core.schema import raises

from ..selectors import knowledge as selectors
from ..serializers.knowledge import (
    AdaptiveDifficultyOutputSerializer,
    AdaptiveDifficultyQuerySerializer,
)

if TYPE_CHECKING:
    from accounts.models import User


class AdaptiveDifficultyApi(APIView):
    @extend_schema(
        parameters=[AdaptiveDifficultyQuerySerializer],
        responses={
            200: AdaptiveDifficultyOutputSerializer,
            **raises(NotFound),
        },
    )
    def get(self, request: Request) -> Response:
        """Get your recommended difficulty in a subject

        The difficulty at which your predicted success in the subject (`subject_id`, one you can
        see) is in the target band, with your estimated ability and how sure the estimate is.
        """
        query = AdaptiveDifficultyQuerySerializer(data=request.query_params.dict())
        query.is_valid(raise_exception=True)
        user = cast("User", request.user)
        subject = subject_get(user=user, subject_id=query.validated_data["subject_id"])
        result = selectors.adaptive_difficulty_get(user=user, subject=subject)
        low, high = result.target_success_rate
        data = {**result.__dict__, "target_success_rate": {"min": low, "max": high}}
        return Response(AdaptiveDifficultyOutputSerializer(data).data)
