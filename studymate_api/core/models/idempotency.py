"""Idempotency keys of POST requests (owned by studymate_api.core.idempotency).

One row per (user, `Idempotency-Key`), written only by `studymate_api.core.idempotency`. The
insert is the claim: the unique constraint lets exactly one request of a user run under a key.
While it runs, `claimed_at` is its lease and `response_status` is null; afterwards the response
is kept for IDEMPOTENCY_KEY_TTL_SECONDS from `created_at`, and a beat task deletes older rows.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone

__all__ = ["IdempotencyKey"]


class IdempotencyKey(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=255)
    method = models.CharField(max_length=8)
    # For people reading the admin; the fingerprint covers the whole path and query.
    path = models.CharField(max_length=500)
    # sha256 of method, full path and canonical body: the same key with another request is a 422.
    fingerprint = models.CharField(max_length=64)
    created_at = models.DateTimeField(default=timezone.now)
    # The running request's lease; null once its response is stored. A request that died leaves
    # it behind, and after IDEMPOTENCY_LEASE_SECONDS a retry takes the key over.
    claimed_at = models.DateTimeField(null=True, blank=True)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    # The response's data as JSON text (text, not jsonb: the replay keeps the key order).
    response_body = models.TextField(blank=True, default="")
    response_headers = models.JSONField(default=dict, blank=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = "idempotency key"
        constraints = [
            models.UniqueConstraint(fields=("user", "key"), name="core_idempotency_user_key_uniq")
        ]
        indexes = [models.Index(fields=("created_at",), name="core_idempotency_created_idx")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} [{self.key}]"
