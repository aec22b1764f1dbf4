"""When two texts say the same thing: the comparison form shared by the short-answer grader
(`quiz.grading`) and the offline essay grader (`studymate_api.ai.local.grading`), so that an
answer key, an accepted variant and a rubric keyword are all read the same way.

The comparison form (`comparison_key`) of a text:
- Unicode: NFKC folds full-width and compatibility forms (a full-width `CO2` is `CO2`), NFC
  composes Hangul jamo into syllables; then case folding.
- Punctuation is a word boundary and nothing else ("세포-호흡", "T-cell").
- English words are Snowball-stemmed ("studied", "studies" -> "studi"; "running" -> "run").
- Spacing is ignored inside Korean: 띄어쓰기 is the most common difference between a learner's
  answer and the key ("캘빈회로" for "캘빈 회로"), and Korean compounds are written either way.
  Between English words and between numbers spacing still counts ("ice cream" is not
  "icecream", "3 14" is not "3.14").

Korean is compared by its characters, without a morphological analyser: a learner's answer is
a word or two, where the only inflection in practice is a trailing particle (조사), which
`short_answer_matches` tolerates from a short list.
"""

from __future__ import annotations

import re
import threading
import unicodedata

import snowballstemmer

# A number keeps its decimal point and thousands separators ("3.14", "1,000"); a Hangul run
# and a run of other letters are separate tokens, so a change of script is a word boundary
# ("DNA복제" reads as "DNA 복제").
_TOKEN = re.compile(r"\d+(?:[.,]\d+)*|[\uac00-\ud7a3]+|[^\W\d_\uac00-\ud7a3]+")
_HANGUL = re.compile(r"[\uac00-\ud7a3]+")
_POSSESSIVE = re.compile(r"['\u2019]s\b")

# Particles and the copula a learner may add after a one-word answer ("엽록체에서",
# "포도당이다"), longest first so "으로" is removed rather than only its "로".
KOREAN_TRAILING_PARTICLES = (
    "입니다",
    "이에요",
    "이다",
    "에서",
    "으로",
    "예요",
    "은",
    "는",
    "이",
    "가",
    "을",
    "를",
    "의",
    "에",
    "로",
    "와",
    "과",
    "도",
)

# Snowball stemmers keep the word being stemmed on the instance: one per thread.
_local = threading.local()


def _english_stem(word: str) -> str:
    stemmer = getattr(_local, "english", None)
    if stemmer is None:
        stemmer = _local.english = snowballstemmer.stemmer("english")
    return str(stemmer.stemWord(word))


def fold(text: str) -> str:
    """NFKC then NFC, case-folded."""
    return unicodedata.normalize("NFC", unicodedata.normalize("NFKC", text)).casefold()


def comparison_key(text: str) -> str:
    """The text's comparison form (see the module docstring). English and number tokens are
    framed by single spaces, Korean runs are joined to their neighbours, so a key can be looked
    for inside another (`mentions`) without an English word matching part of a longer one."""
    folded = _POSSESSIVE.sub("", fold(text))
    key = ""
    for match in _TOKEN.finditer(folded):
        token = match.group()
        if _HANGUL.fullmatch(token):
            key += token
        else:
            stem = _english_stem(token) if token.isascii() and token.isalpha() else token
            key += f"{'' if key.endswith(' ') else ' '}{stem} "
    return key


def without_trailing_particle(key: str) -> str | None:
    """The key with the particle that ends it removed, when it ends in Korean with one (and
    something is left); else None."""
    for particle in KOREAN_TRAILING_PARTICLES:
        if key.endswith(particle) and _HANGUL.fullmatch(key[-len(particle) - 1 :]):
            return key[: -len(particle)]
    return None


def short_answer_matches_key(answer: str, accepted: str) -> bool:
    """Whether an answer says what one accepted answer says: the same comparison form, or the
    same once a trailing Korean particle is taken off the answer (never off the key, so "고양이"
    as a key is not "고양" plus a particle)."""
    given, expected = comparison_key(answer), comparison_key(accepted)
    if not expected:  # a key of punctuation only: compare the texts themselves
        return fold(answer).strip() == fold(accepted).strip()
    return given == expected or without_trailing_particle(given) == expected


def mentions(text_key: str, phrase_key: str) -> bool:
    """Whether a text (its comparison key) contains a phrase (its comparison key). English
    words match whole (stems); Korean matches inside words too, since compounds and particles
    are written on ("세포호흡은" mentions "호흡" and "세포 호흡")."""
    return bool(phrase_key.strip()) and phrase_key in text_key
