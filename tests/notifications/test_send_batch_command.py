"""`manage.py notifications_send_batch`: the states it names, `--now` through the services beat
uses (idempotent), a dry run that shows the rendered message and a sample of recipients and
changes nothing, verbosity, language and progress. Mail goes to the real SMTP server on
loopback (`mailbox`); deliveries run in this process as Celery tasks."""

from __future__ import annotations

import datetime
import io
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import User
from notifications.models import (
    BatchStatus,
    DeliveryAttempt,
    Notification,
    NotificationBatch,
    NotificationTemplate,
    Segment,
)
from notifications.services import batch_process_chunk, batch_start
from tests.factories import UserFactory
from tests.notifications.conftest import Mailbox, set_profile

ANNOUNCEMENT = {"title": "Exam season", "message": "Study rooms are open all night."}
LATER = datetime.timedelta(hours=2)


def _batch(**fields: Any) -> NotificationBatch:
    values: dict[str, Any] = {
        "kind": "announcement",
        "segment": Segment.ALL_LEARNERS,
        "context": ANNOUNCEMENT,
        "channels": ["in_app", "email"],
        "scheduled_at": timezone.now(),
        **fields,
    }
    return NotificationBatch.objects.create(**values)


class Run:
    def __init__(self, out: str, err: str) -> None:
        self.out, self.err = out, err


def send(*args: str, commit_hooks: Any = None) -> Run:
    """The command as an operator runs it; after-commit work (the deliveries) runs too."""
    out, err = io.StringIO(), io.StringIO()
    if commit_hooks is None:
        call_command("notifications_send_batch", *args, stdout=out, stderr=err)
    else:
        with commit_hooks():
            call_command("notifications_send_batch", *args, stdout=out, stderr=err)
    return Run(out.getvalue(), err.getvalue())


def counts(batch: NotificationBatch) -> tuple[str, int, int, int, int]:
    batch.refresh_from_db()
    return (batch.status, batch.targeted, batch.sent, batch.skipped, batch.failed)


# --- states and sending ------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_due_batch_is_sent_by_mail_and_in_app(mailbox: Mailbox, commit_hooks: Any) -> None:
    learners = UserFactory.create_batch(3)
    batch = _batch()
    run = send(str(batch.pk), commit_hooks=commit_hooks)
    assert f"batch {batch.pk} started: 3 learners targeted" in run.out
    assert f"batch {batch.pk} completed: targeted 3, sent 3, skipped 0, failed 0" in run.out
    assert counts(batch) == (BatchStatus.COMPLETED, 3, 3, 0, 0)
    assert sorted(recipient for _from, [recipient] in mailbox.envelopes) == sorted(
        learner.email for learner in learners
    )
    assert Notification.objects.filter(dedup_key=f"batch:{batch.pk}").count() == 3


@pytest.mark.django_db
def test_a_batch_not_due_yet_is_refused_saying_so(mailbox: Mailbox, commit_hooks: Any) -> None:
    UserFactory.create_batch(2)
    batch = _batch(scheduled_at=timezone.now() + LATER)
    with pytest.raises(CommandError) as refused:
        send(str(batch.pk), commit_hooks=commit_hooks)
    message = str(refused.value)
    assert f"batch {batch.pk} is not sent: it is scheduled for " in message
    assert "not due yet" in message
    assert "--now sends it now" in message
    # The contradiction the old command printed is gone.
    assert "not scheduled and due" not in message
    assert counts(batch) == (BatchStatus.SCHEDULED, 0, 0, 0, 0)
    assert mailbox.messages == []


@pytest.mark.django_db
def test_now_sends_before_the_scheduled_time_and_never_twice(
    mailbox: Mailbox, commit_hooks: Any
) -> None:
    UserFactory.create_batch(3)
    batch = _batch(scheduled_at=timezone.now() + LATER)
    first = send(str(batch.pk), "--now", commit_hooks=commit_hooks)
    assert f"batch {batch.pk} completed: targeted 3, sent 3" in first.out
    batch.refresh_from_db()
    assert batch.started_at is not None
    assert batch.started_at < batch.scheduled_at  # early, through batch_start
    assert len(mailbox.messages) == 3

    again = send(str(batch.pk), "--now", commit_hooks=commit_hooks)
    assert f"batch {batch.pk} was already sent (completed at " in again.out
    assert "it is not sent again" in again.out
    assert f"batch {batch.pk} completed: targeted 3, sent 3, skipped 0, failed 0" in again.out
    assert len(mailbox.messages) == 3
    assert Notification.objects.count() == 3
    assert counts(batch) == (BatchStatus.COMPLETED, 3, 3, 0, 0)


@pytest.mark.django_db
def test_a_batch_left_running_is_refused_without_now_and_finished_with_it(
    settings: Any, mailbox: Mailbox, commit_hooks: Any
) -> None:
    """A worker took the first chunk and died: `--now` carries on from the cursor."""
    settings.NOTIFICATIONS_BATCH_CHUNK_SIZE = 2
    UserFactory.create_batch(5)
    batch = _batch(channels=["in_app"])
    cursor = batch_start(batch_id=batch.pk)
    assert cursor is not None
    batch_process_chunk(batch_id=batch.pk, after=cursor)

    with pytest.raises(CommandError) as refused:
        send(str(batch.pk))
    message = str(refused.value)
    assert f"batch {batch.pk} is already being sent (running since " in message
    assert "2 of 5 learners processed" in message
    assert "--now carries on" in message

    run = send(str(batch.pk), "--now", "-v", "2", commit_hooks=commit_hooks)
    assert f"batch {batch.pk}: carrying on (running since " in run.out
    assert "chunk after learner id" in run.out
    assert counts(batch) == (BatchStatus.COMPLETED, 5, 5, 0, 0)
    assert Notification.objects.count() == 5  # nobody twice


@pytest.mark.django_db
def test_a_cancelled_batch_is_refused() -> None:
    UserFactory.create_batch(2)
    batch = _batch(status=BatchStatus.CANCELLED, cancelled_at=timezone.now())
    for args in ((), ("--now",)):
        with pytest.raises(CommandError, match=r"is not sent: it was cancelled at "):
            send(str(batch.pk), *args)
    assert not Notification.objects.exists()


@pytest.mark.django_db
def test_an_unknown_batch() -> None:
    with pytest.raises(CommandError, match="no notification batch with id 999999"):
        send("999999")


# --- the dry run -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_dry_run_shows_the_message_and_a_sample_of_recipients() -> None:
    learners = UserFactory.create_batch(7)
    set_profile(learners[0], language="en")
    batch = _batch(scheduled_at=timezone.now() + LATER)
    run = send(str(batch.pk), "--dry-run")
    lines = run.out.splitlines()
    assert lines[0].startswith(f"batch {batch.pk}: Announcement to All learners, scheduled for ")
    assert lines[0].endswith("not due yet")
    assert lines[1] == "channels: in_app, email"
    assert lines[2] == "recipients: 7 (showing 5)"
    sample = [f"  #{u.pk}  {u.email}  ({'en' if u == learners[0] else 'ko'})" for u in learners]
    assert lines[3:8] == sample[:5]
    assert learners[5].email not in run.out
    # The first recipient's language (English), rendered as sending renders it.
    assert lines[8] == f"message for #{learners[0].pk}, in en:"
    assert lines[9] == "  subject: Exam season"
    assert lines[10:14] == ["  body:", "    Hi Min,", "", "    Study rooms are open all night."]
    assert lines[-1] == "dry run: nothing was sent or changed"


@pytest.mark.django_db
def test_the_dry_run_renders_in_the_sample_learners_language() -> None:
    UserFactory.create_batch(2)  # Korean profiles, the default
    batch = _batch(channels=[])
    out = send(str(batch.pk), "--dry-run", "-v", "2").out
    assert "in ko:" in out
    assert "    Min님, 안녕하세요." in out
    # The kind's default channels, and why push would be skipped here.
    assert "channels: in_app, email, push (skipped: " in out
    assert "  push: Study rooms are open all night." in out
    assert "  SMS: StudyMate: Exam season" in out


@pytest.mark.django_db
def test_a_dry_run_changes_nothing(mailbox: Mailbox, commit_hooks: Any) -> None:
    UserFactory.create_batch(4)
    batch = _batch()
    before = io.StringIO()
    call_command("dumpdata", stdout=before)
    run = send(str(batch.pk), "--dry-run", "--now", "-v", "3", commit_hooks=commit_hooks)
    after = io.StringIO()
    call_command("dumpdata", stdout=after)
    assert "recipients: 4 (showing 4)" in run.out
    assert after.getvalue() == before.getvalue()  # every row of every table, unchanged
    assert mailbox.messages == []
    assert not Notification.objects.exists()
    assert not DeliveryAttempt.objects.exists()


@pytest.mark.django_db
def test_the_dry_run_of_a_sent_batch_says_it_is_sent() -> None:
    UserFactory.create_batch(1)
    batch = _batch(channels=["in_app"])
    send(str(batch.pk))
    out = send(str(batch.pk), "--dry-run").out
    assert ", completed at " in out.splitlines()[0]
    assert "it was sent already: running it again sends nothing" in out


@pytest.mark.django_db
def test_the_dry_run_names_a_missing_template() -> None:
    UserFactory.create_batch(1)
    NotificationTemplate.objects.filter(kind="announcement").delete()
    batch = _batch()
    with pytest.raises(CommandError, match="the kind announcement has no template"):
        send(str(batch.pk), "--dry-run")


@pytest.mark.django_db
def test_the_dry_run_of_a_batch_without_learners() -> None:
    batch = _batch(segment=Segment.PLAN, plan="nobody-on-it")
    out = send(str(batch.pk), "--dry-run").out
    assert "recipients: 0 (showing 0)" in out
    assert "no learner to render the message for" in out


# --- verbosity, language, progress ------------------------------------------------------------


@pytest.mark.django_db
def test_verbosity_zero_prints_nothing_but_still_sends(mailbox: Mailbox, commit_hooks: Any) -> None:
    UserFactory.create_batch(2)
    batch = _batch()
    run = send(str(batch.pk), "-v", "0", "--progress", commit_hooks=commit_hooks)
    assert (run.out, run.err) == ("", "")
    assert counts(batch) == (BatchStatus.COMPLETED, 2, 2, 0, 0)
    assert send(str(batch.pk), "--dry-run", "-v", "0").out == ""


@pytest.mark.django_db
def test_korean_on_request(monkeypatch: pytest.MonkeyPatch) -> None:
    UserFactory.create_batch(1)
    batch = _batch(channels=["in_app"], scheduled_at=timezone.now() + LATER)
    out = send(str(batch.pk), "--dry-run", "--locale", "ko").out
    assert "수신자: 1명 (1명 표시)" in out
    assert "시험 실행: 아무것도 발송하거나 바꾸지 않았습니다" in out
    monkeypatch.setenv("LANGUAGE", "ko_KR.UTF-8:en")
    with pytest.raises(CommandError, match="아직 발송 시각 전"):
        send(str(batch.pk))
    # --locale wins over LANGUAGE.
    with pytest.raises(CommandError, match="not due yet"):
        send(str(batch.pk), "--locale", "en")


@pytest.mark.django_db
def test_a_progress_bar_counts_the_learners(settings: Any) -> None:
    settings.NOTIFICATIONS_BATCH_CHUNK_SIZE = 2
    UserFactory.create_batch(5)
    batch = _batch(channels=["in_app"])
    run = send(str(batch.pk), "--progress")
    assert f"Batch {batch.pk}: 100%" in run.err
    assert "5/5" in run.err
    assert "completed: targeted 5, sent 5" in run.out
    assert "\r" not in run.out  # the bar stays off stdout


@pytest.mark.django_db
def test_no_progress_bar_when_stdout_is_not_a_terminal() -> None:
    UserFactory.create_batch(2)
    batch = _batch(channels=["in_app"])
    run = send(str(batch.pk))
    assert run.err == ""
    assert User.objects.count() == 2
