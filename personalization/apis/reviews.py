"""Spaced-review endpoints: the cards due now, and rating one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import extend_schema
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.errors import NotFound
from studymate_api.core.pagination import PAGE_PARAMETERS, StandardPagination
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated

from ..models import ReviewCard
from ..selectors.reviews import review_answer_revealed, review_card_row, review_due_list
from ..serializers.reviews import (
    ReviewCardOutputSerializer,
    ReviewCardPageSerializer,
    ReviewRateInputSerializer,
)
from ..services.reviews import review_card_rate

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: Request) -> User:
    return cast("User", request.user)


class ReviewDueApi(GenericAPIView[ReviewCard]):
    pagination_class = StandardPagination
    serializer_class = ReviewCardOutputSerializer
    queryset = ReviewCard.objects.none()  # for the schema; requests use the selector

    @extend_schema(parameters=PAGE_PARAMETERS, responses={200: ReviewCardPageSerializer})
    def get(self, request: Request) -> Response:
        """List your review cards due now

        The most overdue first: questions you got wrong and key concepts of your summaries. Fronts
        only; rate a card to see its back.
        """
        page = self.paginate_queryset(review_due_list(user=_user(request)))
        rows = [review_card_row(card) for card in page or []]
        return self.get_paginated_response(ReviewCardOutputSerializer(rows, many=True).data)


class ReviewRateApi(APIView):
    @extend_schema(
        request=ReviewRateInputSerializer,
        responses={
            200: ReviewCardOutputSerializer,
            **raises(NotFound),
        },
    )
    def post(self, request: Request, card_id: int) -> Response:
        """Rate your recall of a review card

        `again`, `hard`, `good` or `easy`: the next review is scheduled (FSRS) at your desired
        retention (study settings). Answers the card with its back and its next `due`.
        """
        data = validated(ReviewRateInputSerializer, request.data)
        card = review_card_rate(user=_user(request), card_id=card_id, rating=data["rating"])
        row: Any = review_card_row(card, reviewed=True, reveal=review_answer_revealed(card))
        return Response(ReviewCardOutputSerializer(row).data)
