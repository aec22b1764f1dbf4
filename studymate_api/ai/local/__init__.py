"""The offline provider's text analysis: extractive summaries, key concepts, quiz questions,
essay grading and material-based answers, for Korean and English, without any model."""

from .concepts import top_labels
from .document import analyze


def key_concepts(text: str, *, limit: int) -> list[str]:
    """The text's key concepts as the offline provider lists them, computed here without a
    gateway call (no usage row, no credits, no breaker): for text the platform already holds,
    such as a finished summary."""
    return top_labels(analyze(text).concepts, limit) if text.strip() else []
