"""Approximate token counts, for the local provider (which has no tokenizer), cost estimates made
before a call and streams cut short before a provider reported usage.

Roughly what BPE tokenizers give: an ASCII word costs one token per four characters, a Hangul
syllable or CJK character one token, any other symbol one token. Deterministic, so the same text
is always counted the same.
"""

from __future__ import annotations

import re

from .contracts import ProviderRequest

_PIECE = re.compile(r"[A-Za-z0-9]+|\S")


def approx_tokens(text: str) -> int:
    count = 0
    for match in _PIECE.finditer(text):
        piece = match.group()
        count += (len(piece) + 3) // 4 if piece.isascii() else 1
    return count


def approx_prompt_tokens(request: ProviderRequest) -> int:
    # A few tokens of framing per message, as the chat formats add.
    framing = 4 * (len(request.messages) + 1)
    text_tokens = sum(approx_tokens(m.content) for m in request.messages)
    return approx_tokens(request.system) + text_tokens + framing
