"""The offline provider's text analysis: extractive summaries, key concepts, quiz questions,
essay grading and material-based answers, for Korean and English, without any model."""
