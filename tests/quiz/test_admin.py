"""Django admin for the quiz models: lists, search, filters and change pages open."""

from __future__ import annotations

import pytest
from django.test import Client

from quiz import services
from quiz.models import Choice, Question, QuizAttempt, UserAnswer
from tests.conftest import admin_signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in() -> Client:
    client = Client()
    admin_signed_in(client, UserFactory.create(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def quiz_data(quiz, other_user):
    attempt = services.attempt_start(user=other_user, quiz_id=quiz.pk)
    question = Question.objects.get(quiz=quiz, question_type="true_false")
    services.answer_submit(
        user=other_user, attempt_id=attempt.pk, question_id=question.pk, answer=True
    )
    return quiz


@pytest.mark.parametrize(
    "url",
    [
        "/admin/quiz/quiz/?q=mixed&is_public__exact=1",
        "/admin/quiz/question/?q=sun&question_type__exact=true_false",
        "/admin/quiz/choice/?q=서울&is_correct__exact=1",
        "/admin/quiz/quizattempt/?q=mixed",
        "/admin/quiz/useranswer/?q=sun&status__exact=graded",
    ],
)
def test_changelists_search_and_filter(admin_client_logged_in, quiz_data, url):
    response = admin_client_logged_in.get(url)
    assert response.status_code == 200
    assert "1 " in response.content.decode()


@pytest.mark.parametrize(
    ("model", "objects"),
    [
        ("quiz", lambda quiz: quiz),
        ("question", lambda quiz: Question.objects.filter(quiz=quiz).first()),
        ("choice", lambda quiz: Choice.objects.filter(question__quiz=quiz).first()),
        ("quizattempt", lambda quiz: QuizAttempt.objects.first()),
        ("useranswer", lambda quiz: UserAnswer.objects.first()),
    ],
)
def test_change_pages_open(admin_client_logged_in, quiz_data, model, objects):
    obj = objects(quiz_data)
    response = admin_client_logged_in.get(f"/admin/quiz/{model}/{obj.pk}/change/")
    assert response.status_code == 200
