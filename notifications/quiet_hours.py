"""When a message may go out: the end of the learner's quiet window, in their time zone."""

from __future__ import annotations

import datetime
from zoneinfo import ZoneInfo


def quiet_until(
    now: datetime.datetime,
    zone: ZoneInfo,
    start: datetime.time | None,
    end: datetime.time | None,
) -> datetime.datetime | None:
    """The aware moment the quiet window containing `now` ends, or None when `now` is outside
    it (or there is no window: unset, or start == end). A window may wrap midnight (22:00 to
    07:00). The end is a local wall time: across a DST change it still means that clock time."""
    if start is None or end is None or start == end:
        return None
    local = now.astimezone(zone)
    clock = local.time().replace(tzinfo=None)
    inside = start <= clock < end if start < end else clock >= start or clock < end
    if not inside:
        return None
    day = local.date()
    if start > end and clock >= start:
        day += datetime.timedelta(days=1)
    ends = datetime.datetime.combine(day, end, tzinfo=zone)
    return ends.astimezone(datetime.UTC)
