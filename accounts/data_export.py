"""What a data export collects: one section per app, registered by the app that owns the data.

accounts is the lowest layer and imports no other app, yet a learner's export holds everything
the account owns in every app. So each app plugs a section in, from its `AppConfig.ready`:

    from accounts.services.export import data_export_sections

    data_export_sections.register("study", study_export_for_user, csv=("progress",))

A section is a function of the learner's id that answers `{table: [row, ...]}` with plain
JSON-able values (datetimes, dates, decimals and UUIDs are written as text), read through the
app's own selectors in a few queries whatever the amount of data (no query per row). The export
writes each section as `<name>.json`, and each table named in `csv` also as
`<name>_<table>.csv`. Rows must be the learner's own: never another learner's data, never a
secret (password hashes, tokens, TOTP keys, invite codes of rooms the learner does not own).

This is a port with several providers (see `studymate_api.ports`): the registry is the asking
side; without a section an app's data is simply not in the export.
"""

from __future__ import annotations

import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol

__all__ = [
    "ExportSection",
    "ExportSectionRegistry",
    "RegisteredSection",
    "SectionData",
    "data_export_sections",
]

# One section's answer: table name to its rows.
SectionData = Mapping[str, Sequence[Mapping[str, Any]]]


class ExportSection(Protocol):
    """Every row the learner owns in one app, by table."""

    def __call__(self, user_id: int) -> SectionData: ...


@dataclass(frozen=True)
class RegisteredSection:
    name: str
    collect: ExportSection
    # Tables of this section also written as CSV files (spreadsheet-friendly).
    csv: tuple[str, ...] = ()


class ExportSectionRegistry:
    """The sections, in registration order (accounts first: it registers in its own ready,
    which runs before the other apps')."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._sections: dict[str, RegisteredSection] = {}

    def register(self, name: str, collect: ExportSection, *, csv: Sequence[str] = ()) -> None:
        """Adds (or, registered again under the same name, replaces) a section. `name` becomes
        a file name, so it is a plain lowercase word."""
        if not name.replace("_", "").isalnum() or name != name.lower():
            raise ValueError(f"export section name {name!r} must be a lowercase word")
        with self._lock:
            self._sections[name] = RegisteredSection(name=name, collect=collect, csv=tuple(csv))

    def unregister(self, name: str) -> None:
        with self._lock:
            self._sections.pop(name, None)

    def sections(self) -> list[RegisteredSection]:
        with self._lock:
            return list(self._sections.values())


data_export_sections = ExportSectionRegistry()
