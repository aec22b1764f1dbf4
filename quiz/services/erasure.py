"""Erasing a learner's quiz data when their account is erased (accounts' AccountErasureDue,
`quiz.subscribers`)."""

from __future__ import annotations

from django.db import transaction
from django.db.models import Exists, OuterRef, Q

from ..caching import quizzes_invalidate_on_commit
from ..models import Quiz, QuizAttempt


@transaction.atomic
def quiz_erase_for_user(*, user_id: int) -> None:
    """Deletes the learner's attempts with their answers, and the quizzes they authored that are
    private and nobody else has taken. A public quiz, or one others have attempts on, stays for
    them with its author link emptied (its questions are course content; other learners'
    results depend on it). Running it again finds nothing."""
    QuizAttempt.objects.filter(user_id=user_id).delete()
    authored = Quiz.objects.filter(owner_id=user_id)
    taken_by_others = Exists(QuizAttempt.objects.filter(quiz=OuterRef("pk")))
    touched = list(authored.values_list("pk", flat=True))
    authored.filter(Q(is_public=True) | Q(taken_by_others)).update(owner=None)
    authored.delete()
    for quiz_id in touched:
        quizzes_invalidate_on_commit(quiz_id)
