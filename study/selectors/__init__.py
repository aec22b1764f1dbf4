"""Every read of the study domain. Other apps import from here, never from the modules."""

from .cache_tags import study_learner_cache_tags, subject_cache_tags
from .goals import goal_get, goal_list
from .progress import (
    current_streak,
    local_date,
    progress_get,
    progress_list,
    progress_page,
    progress_row,
    user_timezone,
)
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
from .summaries import (
    SummaryConcepts,
    summary_completed_identical,
    summary_get,
    summary_key_concepts,
    summary_list,
)

__all__ = [
    "POPULAR_LIMIT",
    "SubjectFilters",
    "SummaryConcepts",
    "current_streak",
    "goal_get",
    "goal_list",
    "local_date",
    "progress_get",
    "progress_list",
    "progress_page",
    "progress_row",
    "study_learner_cache_tags",
    "study_settings_preferences",
    "subject_cache_tags",
    "subject_get",
    "subject_get_owned",
    "subject_has_other_learners",
    "subject_learner_counts",
    "subject_list",
    "subject_page",
    "subject_popular",
    "subject_row",
    "subject_visibility",
    "summary_completed_identical",
    "summary_get",
    "summary_key_concepts",
    "summary_list",
    "user_timezone",
]
