"""Recommendations: what a learner should do next, from several sources, ranked with a
diversity cap and cached per learner (see `engine`)."""

from .engine import (
    DEFAULT_LIMIT,
    MAX_LIMIT,
    recommendation_list,
    subject_recommendation_list,
)
from .types import Recommendation, RecommendationType

__all__ = [
    "DEFAULT_LIMIT",
    "MAX_LIMIT",
    "Recommendation",
    "RecommendationType",
    "recommendation_list",
    "subject_recommendation_list",
]
