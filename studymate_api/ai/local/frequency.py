"""How common a word is in general text, on the Zipf scale (log10 of occurrences per billion
words: 7 for "the", about 5 for 과정 or "process", 0 for a word not in the list), from wordfreq's
bundled lists. A key concept is a term the text uses often and general text seldom.

The lists are read directly: wordfreq's own lookup tokenizes Korean with MeCab, which is not
installed, while our words are already single morphemes or words. Loaded on first use (about
0.3 s, 20 MB for both), so processes that never rank concepts do not pay for it.
"""

from __future__ import annotations

import math
import threading
from typing import Literal

_lock = threading.Lock()
_lists: dict[str, dict[str, float]] = {}


def _frequencies(language: Literal["ko", "en"]) -> dict[str, float]:
    with _lock:
        if language not in _lists:
            from wordfreq import get_frequency_dict

            # The small lists (about 30,000 words each) cover every everyday word; a rarer
            # word is exactly what a key concept tends to be.
            _lists[language] = get_frequency_dict(language, wordlist="small")
        return _lists[language]


def zipf(word: str, language: Literal["ko", "en"]) -> float:
    frequency = _frequencies(language).get(word.casefold(), 0.0)
    return math.log10(frequency) + 9 if frequency > 0 else 0.0
