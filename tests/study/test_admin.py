"""Django admin for the study models: lists, search and filters work."""

from __future__ import annotations

import pytest
from django.test import Client

from study import services
from study.models import StudySummary
from tests.conftest import admin_signed_in
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client_logged_in() -> Client:
    client = Client()
    admin_signed_in(client, UserFactory.create(is_staff=True, is_superuser=True))
    return client


@pytest.fixture
def study_data(user, subject):
    services.progress_log(user=user, subject_id=subject.pk, minutes=30)
    services.goal_create(user=user, title="Goal", target_minutes=60, subject_id=subject.pk)
    services.study_settings_ensure(user=user)
    StudySummary.objects.create(user=user, subject=subject, content="x" * 60, summary_type="brief")


@pytest.mark.parametrize(
    "url",
    [
        "/admin/study/subject/?q=bio&is_public__exact=0",
        "/admin/study/studysummary/?q=learner&status__exact=pending",
        "/admin/study/studyprogress/?q=bio",
        "/admin/study/studylog/?q=bio",
        "/admin/study/studygoal/?q=goal&status__exact=active",
        "/admin/study/studysettings/?q=learner&preferred_ai_provider__exact=local",
    ],
)
def test_changelists_search_and_filter(admin_client_logged_in, study_data, url):
    response = admin_client_logged_in.get(url)
    assert response.status_code == 200
    assert "1 " in response.content.decode()  # "1 result" / "1 total"


@pytest.mark.parametrize(
    "model", ["subject", "studysummary", "studyprogress", "studylog", "studygoal", "studysettings"]
)
def test_change_pages_open(admin_client_logged_in, study_data, model):
    from django.apps import apps

    obj = apps.get_model("study", model).objects.first()
    response = admin_client_logged_in.get(f"/admin/study/{model}/{obj.pk}/change/")
    assert response.status_code == 200
