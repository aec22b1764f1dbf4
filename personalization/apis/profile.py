"""Learner profile endpoints: the profile, the analysis behind it, reported activity, and
performance predictions."""

from __future__ import annotations

from dataclasses import asdict
from typing import TYPE_CHECKING, cast

from drf_spectacular.utils import extend_schema
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from studymate_api.core.errors import NotFound
from studymate_api.core.schema import raises
from studymate_api.core.serializers import validated

from ..selectors.prediction import quiz_prediction
from ..selectors.profile import analysis_details_get, learner_profile_get
from ..serializers.profile import (
    STYLE_HELP,
    AnalysisOutputSerializer,
    LearnerProfileOutputSerializer,
    PredictionQuerySerializer,
    QuizPredictionOutputSerializer,
    UpdatePatternInputSerializer,
)
from ..services.profile import learning_pattern_update

if TYPE_CHECKING:
    from accounts.models import User


def _user(request: Request) -> User:
    return cast("User", request.user)


def _profile_data(user: User, *, fresh: bool = False) -> object:
    profile = learner_profile_get(user=user, fresh=fresh)
    return LearnerProfileOutputSerializer(asdict(profile)).data


class ProfileApi(APIView):
    @extend_schema(
        responses={200: LearnerProfileOutputSerializer},
        description="`learning_style`: " + STYLE_HELP,
    )
    def get(self, request: Request) -> Response:
        """Get your learner profile"""
        return Response(_profile_data(_user(request)))


class UpdatePatternApi(APIView):
    @extend_schema(
        request=UpdatePatternInputSerializer,
        responses={200: LearnerProfileOutputSerializer, **raises(NotFound)},
    )
    def post(self, request: Request) -> Response:
        """Report a finished study activity

        The format, minutes and score of an activity you just finished feed your content-format
        preference and best study hours. Answers your updated profile.
        """
        data = validated(UpdatePatternInputSerializer, request.data)
        learning_pattern_update(user=_user(request), **data)
        return Response(_profile_data(_user(request), fresh=True))


class AnalysisDetailsApi(APIView):
    @extend_schema(
        responses={200: AnalysisOutputSerializer},
    )
    def get(self, request: Request) -> Response:
        """Get the analysis behind your profile

        Knowledge per subject and topic with confidence, goal readiness, format evidence, best study
        hours and streak risk.
        """
        return Response(AnalysisOutputSerializer(analysis_details_get(user=_user(request))).data)


class PredictionApi(APIView):
    @extend_schema(
        parameters=[PredictionQuerySerializer],
        responses={200: QuizPredictionOutputSerializer, **raises(NotFound)},
    )
    def get(self, request: Request) -> Response:
        """Predict your result on a quiz

        Your predicted chance on each question of a quiz you can see (`quiz_id`), your expected
        score and your chance of passing.
        """
        query = validated(PredictionQuerySerializer, request.query_params.dict())
        prediction = quiz_prediction(user=_user(request), quiz_id=query["quiz_id"])
        return Response(QuizPredictionOutputSerializer(asdict(prediction)).data)
