"""Signals other apps connect to; quiz never imports its listeners.

`answer_graded(sender=UserAnswer, answer_id=int)`: sent after the transaction that stored a
graded answer commits (an automatic grade at submit, an AI essay grade, the owner's manual
grade), once per grade. Receivers must be quick (enqueue a task) and idempotent per answer: a
regrade sends it again for the same answer.
"""

from django.dispatch import Signal

answer_graded = Signal()
