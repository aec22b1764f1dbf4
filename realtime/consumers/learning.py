"""`/ws/learning/analytics/`: a learner's activity in, their live metrics and feedback out.

Client -> server:
    {"type": "activity", "session_id", "event": "focus"|"blur"|"idle"|"answer"|"scroll"|"note",
     "data": {"correct": true, ...}, "ref"?: a client correlation id echoed in metrics}
    {"type": "heartbeat", "session_id"}
Server -> client (every socket of the learner: one group per learner):
    {"type": "metrics", "session_id", "focus_score", "pace", "pace_ratio", "efficiency",
     "interruptions", "elapsed_minutes", "focused_minutes", "answers", "correct_answers",
     "notes", "attention", "at", "ref"}
    {"type": "feedback", "session_id", "rule", "message", "at"}
    {"type": "session_ended", "session_id", "reason", "report"}
    {"type": "error", "code", "message"}

Only the learner's own live session accepts events: anyone else's id (or an ended session) is
`not_found` and nothing is recorded. Events are stamped with the server's clock here and go
into the activity stream; the analyzer (`realtime.live_analysis`) answers through the group.
On connect the socket gets the current metrics of each live session (a reconnecting tab
catches up at once).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Final

from channels.db import database_sync_to_async
from django.conf import settings
from django.utils.translation import gettext as _

from ..activity import activity_publisher
from ..analysis import ACTIVITY_EVENTS
from ..broadcast import learner_group
from ..live_analysis import InProcessAnalyzer, metrics_event
from ..selectors.sessions import learning_session_live_state, learning_sessions_active
from ..selectors.sessions import owned_live_session as owned_live_session_sync
from ..services.sessions import learning_session_heartbeat
from .base import ClientError, JsonConsumer

# A session checked once is trusted for this long on this socket (its end is then noticed by
# the analyzer, which drops events of ended sessions).
_OWNERSHIP_TTL_SECONDS: Final = 10.0
_MAX_REF_LENGTH: Final = 64

owned_live_session = database_sync_to_async(owned_live_session_sync)
heartbeat = database_sync_to_async(learning_session_heartbeat)


def _current_metrics(user: Any) -> list[dict[str, Any]]:
    events = []
    for session in learning_sessions_active(user=user):
        state = learning_session_live_state(session)
        if state is not None:
            events.append(dict(metrics_event(state.meta, state.metrics, state.analysis, None)))
    return events


class LearningAnalyticsConsumer(JsonConsumer):
    route = "learning_analytics"
    message_types = frozenset({"activity", "heartbeat"})

    async def on_connected(self) -> None:
        self._owned: dict[str, float] = {}  # session id -> trusted until (monotonic)
        if settings.REALTIME_ANALYZER_IN_PROCESS:
            InProcessAnalyzer.ensure(asyncio.get_running_loop())
        await self.join_group(learner_group(self.user.pk))
        for event in await database_sync_to_async(_current_metrics)(self.user):
            await self.send_json(event)

    async def on_activity(self, message: dict[str, Any]) -> None:
        session_id = await self._own_session(message.get("session_id"))
        kind = message.get("event")
        if kind not in ACTIVITY_EVENTS:
            allowed = ", ".join(sorted(ACTIVITY_EVENTS))
            raise ClientError("invalid_event", _("Unknown event. Expected one of: %s.") % allowed)
        data = message.get("data", {})
        if not isinstance(data, dict):
            raise ClientError("invalid_data", _("The event data must be a JSON object."))
        event: dict[str, Any] = {
            "session_id": session_id,
            "user_id": self.user.pk,
            "event": kind,
            "at": time.time(),
            "ref": _ref(message.get("ref")),
        }
        if kind == "answer":
            event["correct"] = data.get("correct") is True
        await activity_publisher().publish(event)

    async def on_heartbeat(self, message: dict[str, Any]) -> None:
        session_id = await self._own_session(message.get("session_id"))
        at = await heartbeat(user_id=self.user.pk, session_id=session_id)
        # A clock event: the metrics follow the time that passed even without activity.
        clock = {"session_id": session_id, "user_id": self.user.pk, "event": "heartbeat", "at": at}
        await activity_publisher().publish(clock)

    async def _own_session(self, session_id: object) -> str:
        if not isinstance(session_id, str) or not session_id:
            raise ClientError("invalid_session", _("session_id is required."))
        now = time.monotonic()
        if self._owned.get(session_id, 0.0) > now:
            return session_id
        meta = await owned_live_session(user_id=self.user.pk, session_id=session_id)
        self._owned[meta.session_id] = now + _OWNERSHIP_TTL_SECONDS
        return str(meta.session_id)


def _ref(value: object) -> str | int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, str):
        return value[:_MAX_REF_LENGTH]
    return None
