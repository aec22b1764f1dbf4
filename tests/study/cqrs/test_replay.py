"""Rebuilding the study projections from the event store, and the commands' round trips."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Model

from study.models import (
    ProgressView,
    StudyAnalyticsView,
    StudyDailyMinutesView,
    StudySummary,
    Subject,
    SummaryView,
)
from studymate_api.core.models import DomainEvent, EventDelivery
from studymate_api.cqrs import subscribers

from ..conftest import ENGLISH_TEXT
from .conftest import PROGRESS, SUBJECTS, generate_url

pytestmark = pytest.mark.django_db

PROJECTIONS: dict[str, list[type[Model]]] = {
    "study.summaries": [SummaryView],
    "study.progress": [ProgressView],
    "study.analytics": [StudyAnalyticsView, StudyDailyMinutesView],
}


def rows(models):
    """Every row of the read models, without surrogate ids."""
    return [
        [
            {k: v for k, v in row.items() if k != "id"}
            for row in model._default_manager.order_by("pk").values()
        ]
        for model in models
    ]


@pytest.fixture
def activity(auth_client, other_client, subject, public_subject, commit_hooks):
    """Both learners, both paths (CQRS and REST)."""
    summary = {"content": ENGLISH_TEXT, "summary_type": "brief"}
    with commit_hooks():
        auth_client.post(SUBJECTS, {"name": "Chemistry"})
        auth_client.post(generate_url(subject.pk), summary)
        auth_client.post(
            "/api/study/generate-summary/", {**summary, "subject_id": public_subject.pk}
        )
        other_client.post(generate_url(public_subject.pk), {**summary, "summary_type": "detailed"})
        auth_client.post(PROGRESS, {"subject_id": subject.pk, "minutes": 30})
        auth_client.post("/api/study/progress/", {"subject_id": subject.pk, "minutes": 20})
        other_client.post(PROGRESS, {"subject_id": public_subject.pk, "minutes": 45})


@pytest.mark.usefixtures("activity")
@pytest.mark.parametrize("name", list(PROJECTIONS))
def test_replay_rebuilds_identical_rows(name):
    before = rows(PROJECTIONS[name])
    assert all(before), "every read model has rows"
    for model in PROJECTIONS[name]:
        model._default_manager.all().delete()

    out = StringIO()
    call_command("cqrs_management", "--replay", name, stdout=out)

    assert f"Replayed {name}" in out.getvalue()
    assert rows(PROJECTIONS[name]) == before
    assert EventDelivery.objects.filter(subscriber=name).count() == (
        DomainEvent.objects.filter(event_type__in=subscribers.projection(name).event_types).count()
    )


@pytest.mark.usefixtures("activity")
def test_replay_repairs_damage_and_skips_deleted_rows(user):
    SummaryView.objects.update(status="pending", tokens_used=0)
    StudyAnalyticsView.objects.update(minutes_studied=9999)
    deleted = StudySummary.objects.filter(user=user).first()
    assert deleted is not None
    before = rows(PROJECTIONS["study.summaries"])
    deleted.delete()  # its view goes with it; the replay must not bring it back

    for name in PROJECTIONS:
        call_command("cqrs_management", "--replay", name, stdout=StringIO())

    assert not SummaryView.objects.filter(summary_id=deleted.pk).exists()
    assert set(SummaryView.objects.values_list("status", flat=True)) == {"completed"}
    assert SummaryView.objects.count() == len(before[0]) - 1
    assert StudyAnalyticsView.objects.get(user=user).minutes_studied == 50


def test_replay_of_an_unknown_projection():
    with pytest.raises(CommandError, match=r"study\.summaries"):
        call_command("cqrs_management", "--replay", "study.nothing", stdout=StringIO())


def test_every_study_command_round_trips():
    out = StringIO()
    try:
        call_command("cqrs_management", "--test-commands", stdout=out)
    except CommandError:
        # Only another test package's own commands may fail here (tests.platform.cqrs needs a
        # table its fixtures create when its tests run first); the app's must all pass.
        failed = [line for line in out.getvalue().splitlines() if line.startswith("FAIL")]
        assert failed
        assert all(line.split()[1].startswith("tests.") for line in failed), failed

    lines = out.getvalue().splitlines()
    for command in ("CreateSubject", "RequestSummary", "LogStudyTime"):
        line = next(line for line in lines if f"study.cqrs.messages.{command}  " in line)
        assert line.startswith("PASS"), line
        assert "1 event(s)" in line
    # Rolled back: nothing of the samples is left.
    assert not Subject.objects.exists()
    assert not DomainEvent.objects.exists()
    assert not SummaryView.objects.exists()
