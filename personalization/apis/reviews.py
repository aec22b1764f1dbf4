"""Spaced-review endpoints: the cards due now; rating, suspending, unsuspending and deleting one."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, cast

from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.generics import GenericAPIView
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.errors import Conflict, NotFound
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
from ..services.reviews import review_card_delete, review_card_rate, review_card_suspend

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

        The most overdue first: questions you got wrong and key concepts of your summaries.
        Suspended cards never show; new cards (never reviewed) at most as many a day as your
        study settings' `new_cards_per_day` allows (your local day). Fronts only; rate a card
        to see its back.
        """
        page = self.paginate_queryset(review_due_list(user=_user(request)))
        rows = [review_card_row(card) for card in page or []]
        return self.get_paginated_response(ReviewCardOutputSerializer(rows, many=True).data)


class ReviewCardApi(APIView):
    @extend_schema(
        request=ReviewRateInputSerializer,
        responses={
            200: ReviewCardOutputSerializer,
            **raises(NotFound, Conflict),
        },
    )
    def post(self, request: Request, card_id: int) -> Response:
        """Rate your recall of a review card

        `again`, `hard`, `good` or `easy`: the next review is scheduled (FSRS) at your desired
        retention (study settings), with FSRS parameters fitted to your own reviews once you
        have enough of them. Answers the card with its back and its next `due`. A suspended
        card: 409.
        """
        data = validated(ReviewRateInputSerializer, request.data)
        card = review_card_rate(user=_user(request), card_id=card_id, rating=data["rating"])
        row: Any = review_card_row(card, reviewed=True, reveal=review_answer_revealed(card))
        return Response(ReviewCardOutputSerializer(row).data)

    @extend_schema(
        responses={204: OpenApiResponse(description="Deleted."), **raises(NotFound)},
    )
    def delete(self, request: Request, card_id: int) -> Response:
        """Delete a review card

        With its review history. Answering its question wrong again makes a new card.
        """
        review_card_delete(user=_user(request), card_id=card_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class ReviewSuspendApi(APIView):
    suspended = True

    @extend_schema(request=None, responses={200: ReviewCardOutputSerializer, **raises(NotFound)})
    def post(self, request: Request, card_id: int) -> Response:
        """Suspend a review card

        It stops falling due and quiz answers leave it alone, keeping its schedule until you
        unsuspend it. Suspending a suspended card changes nothing.
        """
        return self._set(request, card_id)

    def _set(self, request: Request, card_id: int) -> Response:
        card = review_card_suspend(user=_user(request), card_id=card_id, suspended=self.suspended)
        return Response(ReviewCardOutputSerializer(review_card_row(card)).data)


class ReviewUnsuspendApi(ReviewSuspendApi):
    suspended = False

    @extend_schema(request=None, responses={200: ReviewCardOutputSerializer, **raises(NotFound)})
    def post(self, request: Request, card_id: int) -> Response:
        """Unsuspend a review card

        It is due again as its schedule says (at once if that date has passed).
        """
        return self._set(request, card_id)
