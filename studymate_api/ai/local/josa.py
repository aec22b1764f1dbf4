"""Korean particles (josa) that change with the word before them: 은/는, 이/가, 을/를, 과/와,
으로/로, 이나/나, 이라/라, 이란/란. When a quiz puts another word or a blank where a concept
stood, the particle after it must fit the new word ("훈민정음은" becomes "세조는", not "세조은")
or, before a blank, show both forms ("_____은(는)"), as Korean tests write it.
"""

from __future__ import annotations

import re

# (after a final consonant, after a vowel); longest first so 이라 is not read as 이.
_PAIRS = (
    ("이라고", "라고"),
    ("이라는", "라는"),
    ("이란", "란"),
    ("이라", "라"),
    ("이나", "나"),
    ("으로", "로"),
    ("은", "는"),
    ("을", "를"),
    ("과", "와"),
    ("이", "가"),
)
# One-syllable particles are particles only when no other syllable follows (이미, 가장, 나라).
_SHORT = frozenset({"은", "는", "을", "를", "과", "와", "이", "가", "나", "라", "란"})
_HANGUL = re.compile(r"[\uac00-\ud7a3]")
# How a Latin letter or a digit ends when read in Korean (ATP 에이티피, DNA 디엔에이, 1 일).
_LATIN_FINAL = {"l": "ㄹ", "m": "ㅁ", "n": "ㄴ", "r": "ㄹ"}
_DIGIT_FINAL = {"0": "ㅇ", "1": "ㄹ", "3": "ㅁ", "6": "ㄱ", "7": "ㄹ", "8": "ㄹ"}
_RIEUL = 8  # index of ㄹ among the final consonants of a Hangul syllable


def _final(word: str) -> str | None:
    """'' after a vowel, 'ㄹ', 'C' after another consonant; None when it cannot be told."""
    word = word.rstrip(" )]'\"\u201d\u2019")
    if not word:
        return None
    last = word[-1]
    if _HANGUL.match(last):
        final = (ord(last) - 0xAC00) % 28
        return "" if final == 0 else ("ㄹ" if final == _RIEUL else "C")
    if last.isdigit():
        sound = _DIGIT_FINAL.get(last, "")
    elif last.isascii() and last.isalpha():
        sound = _LATIN_FINAL.get(last.lower(), "")
    else:
        return None
    return "ㄹ" if sound == "ㄹ" else ("C" if sound else "")


def _particle(following: str) -> tuple[str, str, str] | None:
    """The two-form particle `following` starts with: (its form there, consonant form, vowel
    form)."""
    for consonant, vowel in _PAIRS:
        for form in (consonant, vowel):
            if not following.startswith(form):
                continue
            rest = following[len(form) :]
            if form in _SHORT and rest[:1] and _HANGUL.match(rest[:1]):
                continue
            if form == "이" and rest[:1] == "다":
                continue  # the copula 이다 follows vowels too
            return form, consonant, vowel
    return None


def agree(word: str, following: str) -> str:
    """`following` with its leading particle in the form that fits `word`."""
    found = _particle(following)
    final = _final(word)
    if found is None or final is None:
        return following
    form, consonant, vowel = found
    if consonant == "으로":
        fitting = vowel if final in ("", "ㄹ") else consonant
    else:
        fitting = vowel if final == "" else consonant
    return fitting + following[len(form) :]


def both_forms(following: str) -> str:
    """`following` with its leading particle written in both forms: 은(는), 으로(로)."""
    found = _particle(following)
    if found is None:
        return following
    form, consonant, vowel = found
    return f"{consonant}({vowel})" + following[len(form) :]
