"""Background work of the study domain."""

from __future__ import annotations

from celery import shared_task

from . import services


@shared_task(name="study.generate_summary", acks_late=True)
def generate_summary(summary_id: int) -> str:
    """Idempotent: a re-delivered message finds the summary claimed or finished and does nothing
    (see `services.summary_generate`). Time limits are the project's task defaults."""
    summary = services.summary_generate(summary_id=summary_id)
    return "skipped" if summary is None else summary.status


@shared_task(name="study.requeue_stale_summaries")
def requeue_stale_summaries() -> int:
    """For the beat schedule (GENERATION_SWEEP_SECONDS): pending summaries nobody generates."""
    return services.summary_requeue_stale()
