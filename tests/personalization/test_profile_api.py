"""The learner profile: content-format preference from constructed histories, strengths and
weaknesses, best study hours, streak risk, validation and caching, through the HTTP API."""

from __future__ import annotations

import datetime
from collections.abc import Callable, Iterator
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from django.utils import translation
from rest_framework.test import APIClient

from accounts.models import User
from personalization import learning_style
from personalization.models import LearnerProfile
from personalization.selectors.profile import streak_risk
from personalization.services import learning_session_record
from quiz.models import Question, UserAnswer
from study.models import StudyProgress, Subject
from tests.study.factories import SubjectFactory

from .conftest import answered

pytestmark = pytest.mark.django_db
PROFILE = "/api/personalization/profile/"
PATTERN = "/api/personalization/update_pattern/"
ANALYSIS = "/api/personalization/analysis_details/"
GradedAnswer = Callable[[User, Question, bool], UserAnswer]
SEOUL = ZoneInfo("Asia/Seoul")


Report = Callable[..., Any]


@pytest.fixture
def report(django_capture_on_commit_callbacks: Any) -> Report:
    """Posts an activity and runs its on-commit hooks (the cache invalidation) as a real commit
    would; answers the updated profile."""

    def post(client: APIClient, content_type: str, minutes: int, score: float | None = None) -> Any:
        body: dict[str, Any] = {
            "activity_type": "study",
            "content_type": content_type,
            "duration_minutes": minutes,
        }
        if score is not None:
            body["score"] = score
        with django_capture_on_commit_callbacks(execute=True):
            response = client.post(PATTERN, body, format="json")
        assert response.status_code == 200, response.content
        return response.json()

    return post


def test_a_new_learner_is_mixed_with_no_confidence(auth_client: APIClient) -> None:
    response = auth_client.get(PROFILE)
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {
        "learning_style",
        "style_scores",
        "confidence",
        "strengths",
        "weaknesses",
        "optimal_study_time",
        "updated_at",
    }
    assert body["learning_style"] == "mixed"
    assert body["style_scores"] == dict.fromkeys(learning_style.STYLES, 0.25)
    assert body["confidence"] == 0
    assert body["strengths"] == body["weaknesses"] == []
    assert body["optimal_study_time"] is None
    assert body["updated_at"] is None


def test_a_clearly_visual_learner_comes_out_visual_with_confidence(
    auth_client: APIClient, report: Report
) -> None:
    for _ in range(10):
        report(auth_client, "video", 40, score=90)
    report(auth_client, "diagram", 20, score=85)
    report(auth_client, "text", 10, score=50)
    body = report(auth_client, "audio", 10, score=40)

    assert body["learning_style"] == "visual"
    scores = body["style_scores"]
    assert sum(scores.values()) == pytest.approx(1.0, abs=1e-3)
    assert scores["visual"] > 0.6
    assert scores["visual"] == max(scores.values())
    assert body["confidence"] > 0.6
    assert auth_client.get(PROFILE).json() == body


def test_a_balanced_learner_comes_out_mixed(auth_client: APIClient, report: Report) -> None:
    for _ in range(4):
        for content_type in ("video", "podcast", "practice", "article"):
            report(auth_client, content_type, 30, score=75)
    body = auth_client.get(PROFILE).json()
    assert body["learning_style"] == "mixed"
    assert all(score == pytest.approx(0.25, abs=0.01) for score in body["style_scores"].values())
    # Plenty of evidence: the profile is confident that no format leads.
    assert body["confidence"] > 0.7


def test_confidence_grows_with_evidence(auth_client: APIClient, report: Report) -> None:
    confidences = [report(auth_client, "podcast", 30)["confidence"] for _ in range(5)]
    assert confidences == sorted(confidences)
    assert confidences[0] < confidences[-1]


def test_old_evidence_decays_behind_recent_behaviour() -> None:
    evidence = learning_style.Evidence()
    for _ in range(10):  # a year ago: visual
        evidence = learning_style.observe(
            evidence, learning_style.Observation(0.0, 10, 60, "visual", 0.9)
        )
    for _ in range(5):  # now: reading
        evidence = learning_style.observe(
            evidence, learning_style.Observation(365.0, 10, 30, "reading", 0.8)
        )
    profile = learning_style.style_profile(evidence.weights, evidence.counts)
    assert profile.learning_style == "reading"
    assert evidence.totals == {"visual": 10, "reading": 5}
    assert evidence.counts["visual"] < 0.01
    # Without new evidence the confidence fades too.
    later = evidence.decayed_to(365.0 + 4 * learning_style.HALF_LIFE_DAYS)
    faded = learning_style.style_profile(later.weights, later.counts)
    assert faded.confidence < profile.confidence


VALID = {"activity_type": "study", "content_type": "video", "duration_minutes": 5}


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"activity_type": None}, "activity_type"),
        ({"content_type": None}, "content_type"),
        ({"activity_type": "dance"}, "activity_type"),
        ({"content_type": "smell"}, "content_type"),
        ({"duration_minutes": 0}, "duration_minutes"),
        ({"duration_minutes": 2000}, "duration_minutes"),
        ({"duration_minutes": "x"}, "duration_minutes"),
        ({"score": 101}, "score"),
        ({"score": -1}, "score"),
        ({"subject_id": 0}, "subject_id"),
        ({"style": "visual"}, "style"),
    ],
)
def test_bad_activity_reports_are_validation_errors_that_change_nothing(
    auth_client: APIClient, changes: dict[str, Any], field: str
) -> None:
    """`None` leaves the field out."""
    body = {k: v for k, v in {**VALID, **changes}.items() if v is not None}
    response = auth_client.post(PATTERN, body, format="json")
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "validation_error"
    assert field in error["fields"]
    assert not LearnerProfile.objects.exists()


def test_a_subject_you_cannot_see_is_not_found(
    auth_client: APIClient, other_user: User, subject: Subject
) -> None:
    hidden = SubjectFactory.create(created_by=other_user, is_public=False)
    body = {"activity_type": "study", "content_type": "video", "duration_minutes": 5}
    response = auth_client.post(PATTERN, {**body, "subject_id": hidden.pk}, format="json")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"
    assert not LearnerProfile.objects.exists()
    own = auth_client.post(PATTERN, {**body, "subject_id": subject.pk}, format="json")
    assert own.status_code == 200


def test_strengths_and_weaknesses_name_topics(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    auth_client.get(PROFILE)  # cached before the answers: they must invalidate it
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(6):
            answered(graded_answer, user, make_question("hard", topics=["geometry"]), True)
            answered(graded_answer, user, make_question("easy", topics=["fractions"]), False)
    body = auth_client.get(PROFILE).json()
    assert [t["topic"] for t in body["strengths"]] == ["geometry"]
    assert [t["topic"] for t in body["weaknesses"]] == ["fractions"]
    strength, weakness = body["strengths"][0], body["weaknesses"][0]
    assert strength["mastery"] >= 0.6 > 0.4 >= weakness["mastery"]
    assert strength["answers"] == 6
    assert 0 < strength["confidence"] < 1
    assert body["updated_at"] is not None


def test_a_weakness_counts_from_its_first_answer_as_recommendations_rank_it(
    auth_client: APIClient,
    user: User,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
    django_capture_on_commit_callbacks: Any,
) -> None:
    """One wrong answer on a topic is enough to call it weak (its momentum says so); the
    weaknesses are listed in the order the weak-topic recommendations rank them."""
    with django_capture_on_commit_callbacks(execute=True):
        for _ in range(4):
            answered(graded_answer, user, make_question("easy", topics=["ratios"]), False)
        answered(graded_answer, user, make_question("hard", topics=["angles"]), False)
    weaknesses = auth_client.get(PROFILE).json()["weaknesses"]
    assert [t["topic"] for t in weaknesses] == ["ratios", "angles"]
    assert weaknesses[1]["answers"] == 1
    recommended = auth_client.get("/api/personalization/recommendations/").json()
    weak_topics = [r["item"]["topic"] for r in recommended if r["type"] == "weak_topic"]
    assert weak_topics[:2] == ["ratios", "angles"]


def test_optimal_study_time_is_when_you_study_and_score_best_in_your_time_zone(
    auth_client: APIClient, user: User
) -> None:
    today = datetime.date(2026, 11, 2)
    for day in range(8):
        evening = datetime.datetime.combine(today, datetime.time(19, 10), SEOUL)
        morning = datetime.datetime.combine(today, datetime.time(7, 30), SEOUL)
        offset = datetime.timedelta(days=day)
        learning_session_record(
            user=user, subject_id=None, started_at=evening + offset,
            duration_minutes=45, focus_score=90, session_id=f"e{day}", counts_time=True,
        )  # fmt: skip
        learning_session_record(
            user=user, subject_id=None, started_at=morning + offset,
            duration_minutes=45, focus_score=40, session_id=f"m{day}", counts_time=True,
        )  # fmt: skip
    window = auth_client.get(PROFILE).json()["optimal_study_time"]
    assert window["timezone"] == "Asia/Seoul"
    assert window["start_hour"] in (18, 19)
    assert window["start"] == f"{window['start_hour']:02d}:00"
    assert window["end_hour"] == (window["start_hour"] + 2) % 24
    assert "Asia/Seoul" in window["display"]
    assert 0 < window["confidence"] <= 1


def test_analysis_details_show_the_evidence(
    auth_client: APIClient,
    report: Report,
    user: User,
    subject: Subject,
    make_question: Callable[..., Question],
    graded_answer: GradedAnswer,
) -> None:
    report(auth_client, "video", 30, score=80)
    report(auth_client, "video", 30)
    report(auth_client, "article", 10)
    for _ in range(3):
        answered(graded_answer, user, make_question("medium", topics=["equations"]), True)

    response = auth_client.get(ANALYSIS)

    assert response.status_code == 200, response.content
    body = response.json()
    style = body["learning_style"]
    assert style["evidence"]["visual"]["total_observations"] == 2
    assert style["evidence"]["reading"]["total_observations"] == 1
    assert style["evidence"]["auditory"] == {"recent_observations": 0.0, "total_observations": 0}
    assert style["half_life_days"] == learning_style.HALF_LIFE_DAYS
    [row] = body["knowledge"]["subjects"]
    assert row["subject"] == {"id": subject.pk, "name": "Algebra"}
    assert row["answers"] == 3
    assert row["predicted_success"] > 0.5
    assert [s["topic"] for s in body["knowledge"]["skills"]] == ["equations"]
    assert body["streak_risk"]["level"] == "none"
    assert body["predictions"] == {"goals": []}


class TestStreakRisk:
    @pytest.fixture(autouse=True)
    def _english(self) -> Iterator[None]:
        """The reasons are checked in English (Korean is the default language)."""
        with translation.override("en"):
            yield

    def progress(self, user: User, subject: Subject, last: datetime.date) -> None:
        StudyProgress.objects.create(
            user=user, subject=subject, streak_days=4, last_study_date=last, sessions_count=4
        )

    def window(self, start: int) -> learning_style.StudyWindow:
        return learning_style.StudyWindow(start, start + 2, 1.0)

    def at(self, hour: int) -> datetime.datetime:
        return datetime.datetime(2026, 11, 26, hour, 30, tzinfo=SEOUL)

    def test_studied_today_is_low(self, user: User, subject: Subject) -> None:
        self.progress(user, subject, datetime.date(2026, 11, 26))
        risk = streak_risk(user=user, usual=self.window(19), now=self.at(22))
        assert (risk.level, risk.current_streak_days, risk.studied_today) == ("low", 4, True)
        assert "4-day" in risk.reason

    def test_not_yet_today_before_the_usual_time_is_medium(
        self, user: User, subject: Subject
    ) -> None:
        self.progress(user, subject, datetime.date(2026, 11, 25))
        assert streak_risk(user=user, usual=self.window(19), now=self.at(12)).level == "medium"

    def test_not_today_after_the_usual_time_is_high(self, user: User, subject: Subject) -> None:
        self.progress(user, subject, datetime.date(2026, 11, 25))
        risk = streak_risk(user=user, usual=self.window(19), now=self.at(22))
        assert risk.level == "high"
        assert risk.usual_time_passed
        assert "midnight" in risk.reason

    @pytest.mark.parametrize(("start", "end"), [(22, 0), (23, 1)])
    def test_a_window_reaching_midnight_still_warns_before_the_day_ends(
        self, user: User, subject: Subject, start: int, end: int
    ) -> None:
        self.progress(user, subject, datetime.date(2026, 11, 25))
        usual = learning_style.StudyWindow(start, end, 1.0)
        assert streak_risk(user=user, usual=usual, now=self.at(21)).level == "medium"
        assert streak_risk(user=user, usual=usual, now=self.at(23)).level == "high"

    def test_a_broken_streak_is_no_risk(self, user: User, subject: Subject) -> None:
        self.progress(user, subject, datetime.date(2026, 11, 20))
        risk = streak_risk(user=user, usual=None, now=self.at(23))
        assert (risk.level, risk.current_streak_days) == ("none", 0)

    def test_the_day_is_the_learners_local_day(self, user: User, subject: Subject) -> None:
        """01:30 in Seoul is still the previous day in UTC; the streak counts Seoul's day."""
        self.progress(user, subject, datetime.date(2026, 11, 26))
        risk = streak_risk(user=user, usual=self.window(19), now=self.at(1))
        assert risk.studied_today


def test_studying_today_makes_the_streak_safe(
    auth_client: APIClient, subject: Subject, django_capture_on_commit_callbacks: Any
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        logged = auth_client.post(
            "/api/study/progress/", {"subject_id": subject.pk, "minutes": 30}, format="json"
        )
    assert logged.status_code == 201, logged.content
    risk = auth_client.get(ANALYSIS).json()["streak_risk"]
    assert risk["level"] == "low"
    assert (risk["current_streak_days"], risk["studied_today"]) == (1, True)
    assert risk["reason"]


def test_requires_authentication(api_client: APIClient) -> None:
    assert api_client.get(PROFILE).status_code == 401
    assert api_client.get(ANALYSIS).status_code == 401
    assert api_client.post(PATTERN, {}).status_code == 401
