"""`Idempotency-Key` on POSTs that spend credits or money or start work, with Stripe's semantics.

`@idempotent` above a DRF view method (`def post`) makes a request carrying the header run at
most once per user and key:

- The first request under a key claims it by inserting an `IdempotencyKey` row in its own short
  transaction; the unique constraint on (user, key) lets exactly one of several concurrent
  requests in, across threads and processes, on SQLite and PostgreSQL alike.
- Its response (status, data, the headers the view set such as `Location`) is stored when it is
  final: every 2xx-4xx except the transient ones (408, 423, 425, 429). For 24 hours
  (IDEMPOTENCY_KEY_TTL_SECONDS from the first request) the same key with the same request
  replays it with `Idempotent-Replayed: true`; the view does not run again, so nothing is
  created or charged twice. A validation error or a refused charge is replayed too: a new
  attempt takes a new key.
- The same key with another request (method, path with query, or canonical body differ): 422
  `idempotency_key_reused`. While the first still runs: 409 `idempotency_in_progress` with
  `Retry-After`.
- A 5xx, a transient 4xx or an exception releases the key (the row is deleted) so a retry runs.
  A request whose process died leaves its claim behind: after IDEMPOTENCY_LEASE_SECONDS a retry
  takes it over with a conditional UPDATE, and the dead holder, should it wake, can no longer
  store or release (both require its own `claimed_at`).

Requests without the header, and anonymous ones, run as if undecorated: the check costs
nothing unless a client asks for it. The claim must commit before the view runs, so the view
must not run inside a request-wide transaction (ATOMIC_REQUESTS is off in this project).

Cost. On PostgreSQL the claim and the stored answer commit without waiting for the WAL flush
(`synchronous_commit = off` for those two transactions only): two fsyncs would cost more than
the rest of the check together. Nothing is lost by it: the WAL is flushed in order, so the claim
is durable as soon as any effect of the view commits (synchronously, as usual); and a stored
answer lost in a database crash within the flush delay (about 0.6 s) leaves the key claimed,
which is what a process crash between the view and the store leaves too: a retry after the
lease runs the view again.
"""

from __future__ import annotations

import datetime
import functools
import hashlib
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any, Concatenate, Final, ParamSpec, TypeVar, cast

import structlog
from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, models, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import Q
from django.http import QueryDict
from django.http.response import HttpResponseBase
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder
from rest_framework.views import APIView

from .errors import IdempotencyInProgress, IdempotencyKeyReused, ValidationFailed
from .models import IdempotencyKey
from .retention import delete_in_batches

__all__ = [
    "KEY_HEADER",
    "MAX_KEY_LENGTH",
    "REPLAYED_HEADER",
    "idempotency_keys_purge",
    "idempotent",
    "request_fingerprint",
]

logger = structlog.get_logger(__name__)

KEY_HEADER: Final = "Idempotency-Key"
REPLAYED_HEADER: Final = "Idempotent-Replayed"
MAX_KEY_LENGTH: Final = 255
# How soon a client told 409 `idempotency_in_progress` should look again.
IN_PROGRESS_RETRY_AFTER_SECONDS: Final = 1
# Outcomes that may differ on a retry: the key is released instead of stored.
TRANSIENT_STATUSES: Final = frozenset({408, 423, 425, 429})
# Headers the renderer or the middleware set per response; the rest the view set, and replay.
_UNSTORED_HEADERS: Final = frozenset(
    {"content-type", "content-length", "set-cookie", "vary", "date", REPLAYED_HEADER.lower()}
)
# Claim races lost in a row before the request is told the key is busy (each loss means another
# request took or freed the key in between, so more than two is already improbable).
_CLAIM_ATTEMPTS: Final = 3
_PATH_CHARS: Final = 500

_View = TypeVar("_View", bound=APIView)
_P = ParamSpec("_P")
_R = TypeVar("_R", bound=HttpResponseBase)


def idempotent(
    method: Callable[Concatenate[_View, Request, _P], _R],
) -> Callable[Concatenate[_View, Request, _P], _R]:
    """Idempotency-Key handling for one DRF view method (see the module docstring); sets
    `__idempotent__` on the method so the schema documents the header and its errors."""

    @functools.wraps(method)
    def handle(view: _View, request: Request, /, *args: _P.args, **kwargs: _P.kwargs) -> _R:
        raw_key = request.headers.get(KEY_HEADER)
        if raw_key is None or not request.user.is_authenticated:
            return method(view, request, *args, **kwargs)
        key = _checked_key(raw_key)
        outcome = _claim(
            user_id=request.user.pk,
            key=key,
            method=request.method or "POST",
            path=request.path,
            fingerprint=request_fingerprint(request),
        )
        if isinstance(outcome, _Existing):
            return cast(_R, _replay(outcome))
        try:
            try:
                response: HttpResponseBase = method(view, request, *args, **kwargs)
            except Exception as error:
                # What `dispatch` would answer, rendered here so a final error can be kept.
                response = view.handle_exception(error)
        except BaseException:
            _release(outcome)
            raise
        _finish(outcome, response)
        return cast(_R, response)

    setattr(handle, "__idempotent__", True)  # noqa: B010 - a marker the schema generator reads
    return handle


# --- the request --------------------------------------------------------------------------------


def _checked_key(raw: str) -> str:
    key = raw.strip()
    if not key:
        raise ValidationFailed(fields={KEY_HEADER: [_("The Idempotency-Key header is empty.")]})
    if len(key) > MAX_KEY_LENGTH:
        message = _("The Idempotency-Key header must be at most 255 characters.")
        raise ValidationFailed(fields={KEY_HEADER: [message]})
    return key


def request_fingerprint(request: Request) -> str:
    """sha256 of the method, the path with its query and the body in canonical form (JSON with
    sorted keys; form fields as lists; files by name, size and content hash), so a retry that
    re-serialises the same data differently is still the same request."""
    body = json.dumps(
        _canonical(request.data),
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
        default=_describe,
    )
    digest = hashlib.sha256()
    for part in (request.method or "", request.get_full_path(), body):
        digest.update(part.encode())
        digest.update(b"\0")
    return digest.hexdigest()


def _canonical(data: Any) -> Any:
    if isinstance(data, QueryDict):
        return dict(data.lists())
    return data


def _describe(value: Any) -> Any:
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    return str(value)


# --- claim, store, release ----------------------------------------------------------------------


@dataclass(frozen=True)
class _Claim:
    """The right to run the view under a key: the row and the lease this request set on it."""

    pk: int
    claimed_at: datetime.datetime


def _ttl() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.IDEMPOTENCY_KEY_TTL_SECONDS)


def _lease() -> datetime.timedelta:
    return datetime.timedelta(seconds=settings.IDEMPOTENCY_LEASE_SECONDS)


@dataclass(frozen=True)
class _Existing:
    """What a request that found its key taken needs to know of the row."""

    pk: int
    fingerprint: str
    expired: bool  # older than the TTL: free for any request
    held: bool  # in progress under a live lease
    status: int | None  # the stored answer, when there is one
    body: str
    headers: dict[str, str]


def _claim(
    *, user_id: int, key: str, method: str, path: str, fingerprint: str
) -> _Claim | _Existing:
    """A claim to run the view, or the stored answer to replay; raises 422/409 as the module
    says."""
    request = {"method": method, "path": path[:_PATH_CHARS], "fingerprint": fingerprint}
    for _attempt in range(_CLAIM_ATTEMPTS):
        now = timezone.now()
        claimed = _insert_claim(user_id=user_id, key=key, now=now, **request)
        if claimed is not None:
            return _Claim(claimed, now)
        existing = _lookup(user_id=user_id, key=key, now=now)
        if existing is None:
            continue  # released or purged since the insert found it: insert again
        if existing.expired:
            # Not purged yet: the key is free for any request.
            renewed = {**request, **_EMPTY_RESPONSE, "created_at": now}
            if _take_over(existing, now, Q(created_at__lte=now - _ttl()), **renewed):
                return _Claim(existing.pk, now)
            continue
        if existing.fingerprint != fingerprint:
            raise IdempotencyKeyReused()
        if existing.status is not None:
            return existing
        if existing.held:
            raise _in_progress()
        # The holder outlived its lease: it died, and this retry runs instead.
        logger.warning("idempotency_claim_abandoned", key_id=existing.pk)
        abandoned = Q(response_status__isnull=True) & (
            Q(claimed_at__isnull=True) | Q(claimed_at__lte=now - _lease())
        )
        if _take_over(existing, now, abandoned):
            return _Claim(existing.pk, now)
    raise _in_progress()


_EMPTY_RESPONSE: Final[dict[str, Any]] = {
    "response_status": None,
    "response_body": "",
    "response_headers": {},
    "completed_at": None,
}


def _take_over(existing: _Existing, now: datetime.datetime, still: Q, **fields: Any) -> bool:
    """Sets this request's lease on the row if it is `still` free (one of several racing
    retries wins: the others no longer match)."""
    row = IdempotencyKey.objects.filter(still, pk=existing.pk)
    return row.update(claimed_at=now, **fields) == 1


def _in_progress() -> IdempotencyInProgress:
    return IdempotencyInProgress(headers={"Retry-After": str(IN_PROGRESS_RETRY_AFTER_SECONDS)})


def _held(claim: _Claim) -> Any:
    """The claimed row, as long as this request still holds it."""
    return IdempotencyKey.objects.filter(
        pk=claim.pk, claimed_at=claim.claimed_at, response_status__isnull=True
    )


def _finish(claim: _Claim, response: HttpResponseBase) -> None:
    stored = _stored_form(response)
    if stored is None:
        _release(claim)
        return
    body, headers = stored
    if not _store(claim, status=response.status_code, body=body, headers=headers):
        # Held past its lease and taken over: the request that took it stores its own outcome.
        logger.warning("idempotency_claim_lost", key_id=claim.pk)


def _release(claim: _Claim) -> None:
    _held(claim).delete()


# The two writes of every first request, one statement each: an ORM `create` would raise and
# roll back on every replay, and compiling the queries cost more than running them. On
# PostgreSQL the statement runs in its own (autocommit) transaction, made not to wait for the
# WAL flush by `set_config(..., is_local => true)` (see "Cost" in the module docstring). On
# SQLite it runs in a transaction begun IMMEDIATE (the project's setting), as the ORM's do, so a
# concurrent writer makes it wait rather than fail.


@dataclass(frozen=True)
class _Statements:
    insert: str
    lookup: str
    store: str


@functools.cache
def _statements(vendor: str) -> _Statements:
    # Identifiers come from the model's metadata; every value is a query parameter.
    quote = connection.ops.quote_name
    table = quote(IdempotencyKey._meta.db_table)
    col = {field.name: quote(field.column) for field in IdempotencyKey._meta.concrete_fields}
    inserted = ("user", "key", "method", "path", "fingerprint", "created_at", "claimed_at")
    names = ", ".join(col[name] for name in (*inserted, "response_body", "response_headers"))
    values = ", ".join(["%s"] * len(inserted) + ["''", "'{}'"])
    conflict = f"ON CONFLICT ({col['user']}, {col['key']}) DO NOTHING RETURNING {col['id']}"
    assignments = (
        f"{col['response_status']} = %s, {col['response_body']} = %s, "
        f"{col['response_headers']} = %s, {col['claimed_at']} = NULL, {col['completed_at']} = %s"
    )
    held = f"{col['id']} = %s AND {col['claimed_at']} = %s AND {col['response_status']} IS NULL"
    answer = ", ".join(
        col[name] for name in ("response_status", "response_body", "response_headers")
    )
    lookup = (
        f"SELECT {col['id']}, {col['fingerprint']}, {col['created_at']} <= %s, "  # noqa: S608  # nosec B608
        f"{col['claimed_at']} > %s, {answer} FROM {table} "
        f"WHERE {col['user']} = %s AND {col['key']} = %s"
    )
    if vendor == "postgresql":
        quick = "set_config('synchronous_commit', 'off', true)"
        return _Statements(
            insert=f"INSERT INTO {table} ({names}) SELECT {values} FROM {quick} {conflict}",  # noqa: S608  # nosec B608
            lookup=lookup,
            store=f"UPDATE {table} SET {assignments} FROM {quick} AS quick WHERE {held}",  # noqa: S608  # nosec B608
        )
    return _Statements(
        insert=f"INSERT INTO {table} ({names}) VALUES ({values}) {conflict}",  # noqa: S608  # nosec B608
        lookup=lookup,
        store=f"UPDATE {table} SET {assignments} WHERE {held}",  # noqa: S608  # nosec B608
    )


@contextmanager
def _write() -> Iterator[CursorWrapper]:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            yield cursor
        return
    with transaction.atomic(), connection.cursor() as cursor:
        yield cursor


def _db(name: str, value: Any) -> Any:
    field = cast("models.Field[Any, Any]", IdempotencyKey._meta.get_field(name))
    return field.get_db_prep_value(value, connection)


def _insert_claim(
    *, user_id: int, key: str, method: str, path: str, fingerprint: str, now: datetime.datetime
) -> int | None:
    """Inserts the claim; its row id, or None when the user has the key already."""
    moment = _db("created_at", now)
    with _write() as cursor:
        cursor.execute(
            _statements(connection.vendor).insert,
            [user_id, key, method, path, fingerprint, moment, moment],
        )
        row = cursor.fetchone()
    return None if row is None else int(row[0])


def _lookup(*, user_id: int, key: str, now: datetime.datetime) -> _Existing | None:
    """The user's row for the key, judged against `now` by the database."""
    params = [_db("created_at", now - _ttl()), _db("claimed_at", now - _lease()), user_id, key]
    with connection.cursor() as cursor:
        cursor.execute(_statements(connection.vendor).lookup, params)
        row = cursor.fetchone()
    if row is None:
        return None
    pk, fingerprint, expired, held, status, body, headers = row
    return _Existing(
        pk=int(pk),
        fingerprint=str(fingerprint),
        expired=bool(expired),
        held=bool(held),  # NULL (no lease) is not held
        status=None if status is None else int(status),
        body=str(body),
        headers=json.loads(headers) if isinstance(headers, str | bytes) else dict(headers),
    )


def _store(claim: _Claim, *, status: int, body: str, headers: dict[str, str]) -> bool:
    """Keeps the answer and ends the lease; False when the claim was lost meanwhile."""
    params = [
        status,
        body,
        _db("response_headers", headers),
        _db("completed_at", timezone.now()),
        claim.pk,
        _db("claimed_at", claim.claimed_at),
    ]
    with _write() as cursor:
        cursor.execute(_statements(connection.vendor).store, params)
        return bool(cursor.rowcount == 1)


def _stored_form(response: HttpResponseBase) -> tuple[str, dict[str, str]] | None:
    """The JSON text of the response's data and the headers the view set, or None when the
    response is not to be kept (a 5xx, a transient 4xx, not a DRF response, unencodable)."""
    status = response.status_code
    if status >= 500 or status in TRANSIENT_STATUSES or not isinstance(response, Response):
        return None
    try:
        body = json.dumps(response.data, cls=JSONEncoder)
    except (TypeError, ValueError):
        logger.warning("idempotency_response_unstorable", status=status)
        return None
    headers = {
        name: value
        for name, value in response.headers.items()
        if name.lower() not in _UNSTORED_HEADERS
    }
    if response.content_type is not None:
        headers["Content-Type"] = response.content_type
    return body, headers


def _replay(stored: _Existing) -> Response:
    headers = dict(stored.headers)
    content_type = headers.pop("Content-Type", None)
    response = Response(
        json.loads(stored.body), status=stored.status, headers=headers, content_type=content_type
    )
    response[REPLAYED_HEADER] = "true"
    return response


# --- retention ----------------------------------------------------------------------------------


def idempotency_keys_purge(*, batch_size: int | None = None, max_batches: int = 20) -> int:
    """Deletes keys older than IDEMPOTENCY_KEY_TTL_SECONDS, in batches (bounded per run, the
    beat task runs hourly); returns how many were deleted."""
    size: int = batch_size or settings.IDEMPOTENCY_PURGE_BATCH_SIZE
    expired = IdempotencyKey.objects.filter(created_at__lt=timezone.now() - _ttl())
    return delete_in_batches(
        expired.order_by("created_at"), batch_size=size, max_batches=max_batches
    )
