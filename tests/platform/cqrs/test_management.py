"""`manage.py cqrs_management --stats`."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from tests.platform.cqrs.domain import FLAKY, TOTALS, increment

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = StringIO()
    call_command("cqrs_management", *args, stdout=out)
    return out.getvalue()


def test_without_a_flag_it_says_what_to_choose():
    with pytest.raises(CommandError, match="choose --stats"):
        run()


def test_the_removed_flags_are_refused():
    for flag in ("--test-commands", "--replay"):
        with pytest.raises(CommandError, match="unrecognized arguments"):
            call_command("cqrs_management", "--stats", flag, stdout=StringIO())


def test_stats_counts_events_the_outbox_and_subscribers(user):
    increment(user=user, counter_id="c1")  # commit callbacks never run: nothing is published
    increment(user=user, counter_id="c2")

    output = run("--stats")

    assert "events: 2" in output
    assert "counter.incremented  2" in output
    assert "outbox: 2 unpublished (0 failing), oldest " in output
    subscribers_line = next(line for line in output.splitlines() if line.startswith("subscribers"))
    assert TOTALS in subscribers_line
    assert FLAKY in subscribers_line
