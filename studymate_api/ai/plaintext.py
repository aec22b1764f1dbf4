"""Model output as plain text: no HTML tags, no control or direction-override characters, and no
longer than a limit. Everything the gateway returns or stores goes through here."""

from __future__ import annotations

import re

# C0/C1 controls except tab and newline; zero-width and bidirectional-override characters,
# which can make stored text display differently from what it says.
_INVISIBLE = re.compile(
    "[\x00-\x08\x0b-\x1f\x7f-\x9f\u200b-\u200f\u202a-\u202e\u2060-\u2064\u2066-\u2069\ufeff]"
)
_TAG_BODY = 200
_TAG = re.compile(r"</?[A-Za-z!][^<>]{0,%d}>" % _TAG_BODY)  # noqa: UP031 - a regex, not text
# A "<" further than this from the end of the text can no longer start a tag.
_LONGEST_TAG = _TAG_BODY + 3
_BLANK_LINES = re.compile(r"\n[ \t]*\n(?:[ \t]*\n)+")


class PlainTextStream:
    """Cleans text that arrives in pieces. What `feed` and `flush` return, concatenated, is the
    same whatever the pieces were: a possible tag is held back until it is complete."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.truncated = False
        self._pending = ""
        self._emitted = 0

    @property
    def emitted(self) -> int:
        return self._emitted

    @property
    def full(self) -> bool:
        return self._emitted >= self.limit

    def feed(self, piece: str) -> str:
        self._pending += _INVISIBLE.sub("", piece)
        cut = _safe_end(self._pending)
        ready, self._pending = self._pending[:cut], self._pending[cut:]
        return self._take(ready)

    def flush(self) -> str:
        ready, self._pending = self._pending, ""
        return self._take(ready)

    def _take(self, text: str) -> str:
        clean = _TAG.sub("", text)
        room = self.limit - self._emitted
        if len(clean) > room:
            clean, self.truncated = clean[: max(room, 0)], True
        self._emitted += len(clean)
        return clean


def _safe_end(text: str) -> int:
    start = text.rfind("<")
    if start == -1 or ">" in text[start:] or len(text) - start > _LONGEST_TAG:
        return len(text)
    return start


def tidy(text: str) -> str:
    """The final form: no runs of blank lines, no trailing spaces, no surrounding whitespace."""
    lines = (line.rstrip() for line in text.split("\n"))
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def plain_text(text: str, limit: int) -> tuple[str, bool]:
    """The text cleaned, tidied and cut to `limit` characters, and whether it was cut."""
    stream = PlainTextStream(limit)
    clean = stream.feed(text) + stream.flush()
    return tidy(clean), stream.truncated


def plain_line(text: str, limit: int) -> str:
    """A short field (a concept, a choice): one line, whitespace collapsed."""
    clean, _ = plain_text(text, limit * 2)
    return " ".join(clean.split())[:limit]
