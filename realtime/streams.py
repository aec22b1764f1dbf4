"""Names of the realtime domain's event streams (studymate_api.streaming)."""

from __future__ import annotations

from typing import Final

# Activity events of live learning sessions, and the sweep's clock ticks.
ACTIVITY_STREAM: Final = "learning.activity"
ANALYZER_GROUP: Final = "analyzer"
