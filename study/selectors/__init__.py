"""Every read of the study domain. Other apps import from here, never from the modules."""

from .goals import goal_get, goal_list
from .progress import (
    current_streak,
    local_date,
    progress_list,
    progress_page,
    progress_row,
    user_timezone,
)
from .recommendations import subject_recommendations
from .settings import study_settings_preferences
from .subjects import (
    POPULAR_LIMIT,
    SubjectFilters,
    subject_get,
    subject_get_owned,
    subject_has_other_learners,
    subject_learner_counts,
    subject_list,
    subject_page,
    subject_popular,
    subject_row,
    subject_visibility,
)
from .summaries import summary_get, summary_list

__all__ = [
    "POPULAR_LIMIT",
    "SubjectFilters",
    "current_streak",
    "goal_get",
    "goal_list",
    "local_date",
    "progress_list",
    "progress_page",
    "progress_row",
    "study_settings_preferences",
    "subject_get",
    "subject_get_owned",
    "subject_has_other_learners",
    "subject_learner_counts",
    "subject_list",
    "subject_page",
    "subject_popular",
    "subject_recommendations",
    "subject_row",
    "subject_visibility",
    "summary_get",
    "summary_list",
    "user_timezone",
]
