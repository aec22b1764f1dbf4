"""Korean morphology for the offline provider: Kiwi (kiwipiepy, with the model package's
dictionary and language model), loaded once per process on first use.

Loading costs about a second and 330 MB of RSS (README, "The offline provider"), so nothing
imports kiwipiepy at module level: `django.setup()`, `manage.py` commands and the processes that
never run the local provider (web probes, beat, the stream analyzer) do not pay for it. Two
dictionaries are left out: the multi-word proper-noun dictionary (about 190 MB and 1.5 s more, and
textbook terms are not in it) and the typo dictionary (study material is edited text).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any, Protocol


@dataclass(frozen=True)
class Morpheme:
    form: str
    # Sejong tags as Kiwi prints them: NNG common noun, NNP proper noun, NNB dependent noun,
    # SL Latin letters, SN number, XSN noun suffix, XPN prefix, VV verb, VA adjective,
    # XSV/XSA verb/adjective-forming suffixes, J* particles, E* endings.
    tag: str
    start: int
    end: int


class _Token(Protocol):
    form: str
    tag: str
    start: int
    end: int


_lock = threading.Lock()
_analyzer: Any = None


def _kiwi() -> Any:
    global _analyzer
    with _lock:
        if _analyzer is None:
            from kiwipiepy import Kiwi

            analyzer = Kiwi(num_workers=1, load_multi_dict=False, load_typo_dict=False)
            analyzer.tokenize("")  # Kiwi finishes loading on its first call
            _analyzer = analyzer
        return _analyzer


def morphemes(texts: list[str]) -> list[list[Morpheme]]:
    """The morphemes of each text, with character offsets into it."""
    if not texts:
        return []
    analyzer = _kiwi()
    tokens: list[list[_Token]] = list(analyzer.tokenize(texts))
    return [[Morpheme(t.form, t.tag, t.start, t.end) for t in sentence] for sentence in tokens]
