"""Offline chat: the sentences of the learner's material that best match the question. It
cannot reason, so it says so when the material has nothing on the question."""

from __future__ import annotations

from .document import analyze
from .text import Language, language, split_sentences, tokenize

_NO_MATERIAL = {
    "ko": "오프라인 도우미는 학습 자료에 있는 내용으로만 답할 수 있습니다. 질문과 관련된 자료를 "
    "함께 보내 주세요.",
    "en": "The offline assistant can only answer from your study material. Send the material "
    "the question is about along with it.",
}
_NOT_COVERED = {
    "ko": "학습 자료에서 이 질문에 대한 내용을 찾지 못했습니다.",
    "en": "Your study material does not seem to cover this question.",
}
_FROM_MATERIAL = {"ko": "학습 자료에 따르면:", "en": "From your study material:"}


def answer(question: str, context: str, limit: int = 3) -> str:
    lang: Language = language(question + " " + context)
    if not context.strip():
        return _NO_MATERIAL[lang]
    doc = analyze(context)
    asked = set(_terms(question))
    overlap = [sum(v.get(t, 0.0) for t in asked) for v in doc.vectors]
    ranked = sorted(range(len(doc.sentences)), key=lambda i: (-overlap[i], -doc.scores[i], i))
    best = sorted(i for i in ranked[:limit] if overlap[i] > 0)
    if not best:
        return _NOT_COVERED[lang]
    return f"{_FROM_MATERIAL[lang]} " + " ".join(doc.sentences[i].text for i in best)


def _terms(text: str) -> list[str]:
    sentences = split_sentences(text)
    tokenize(sentences)
    return [term for sentence in sentences for term in sentence.terms]
