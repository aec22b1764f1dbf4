"""Data export: a zip of everything the account owns, built by a task, served by a signed link.

Request. `data_export_request` creates a pending export and enqueues its build after commit. A
learner gets one export per ACCOUNTS_DATA_EXPORT_INTERVAL_HOURS while the last one is pending,
processing or ready (429 `throttled` with `Retry-After` until then); a failed or expired one
does not hold the next back. The user row is locked first, so two concurrent requests of one
learner cannot both pass the check.

Build. Each app contributes a section (`accounts.data_export`: every app registers one in its
`AppConfig.ready`). The task claims the export with a conditional UPDATE (pending, or
processing whose lease ran out: its worker died) and is the only one that builds it; a
redelivered task finds it claimed or done and does nothing. The zip holds `manifest.json`, one
`<section>.json` per section and a CSV per table a section names (progress, quiz answers). It is
written to the default storage under a random name, and the export becomes ready with another
conditional UPDATE that requires the claim, recording DataExportReady (the notifications app
tells the learner) in the same transaction. A build that fails marks the export failed.

Link. The download link carries the export id signed with a TimestampSigner (SECRET_KEY, its own
salt): it cannot be guessed or altered, works without the Authorization header (it is opened from
an email) and stops working at `expires_at` (ACCOUNTS_DATA_EXPORT_LINK_DAYS). The sweep (beat)
then deletes the file and marks the row expired; rows of expired and failed exports are pruned
after ACCOUNTS_DATA_EXPORT_ROW_RETENTION_DAYS.
"""

from __future__ import annotations

import csv
import datetime
import io
import json
import math
import tempfile
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import IO, Any

import structlog
from django.conf import settings
from django.core import signing
from django.core.files import File
from django.core.files.storage import default_storage
from django.core.serializers.json import DjangoJSONEncoder
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from kombu.exceptions import OperationalError as BrokerUnavailable

from studymate_api.core.errors import NotFound, Throttled

from ..data_export import ExportSection as ExportSection  # the apps' sections type from here
from ..data_export import RegisteredSection, data_export_sections
from ..events import DATA_EXPORT_READY, DataExportReadyPayload
from ..models import User
from ..models.lifecycle import DataExport, DataExportStatus

__all__ = [
    "ExportSection",
    "data_export_build",
    "data_export_download_token",
    "data_export_download_url",
    "data_export_for_download",
    "data_export_request",
    "data_export_sections",
    "data_exports_sweep",
]

logger = structlog.get_logger(__name__)

SIGNING_SALT = "accounts.data_export.download"
LIVE_STATUSES = (DataExportStatus.PENDING, DataExportStatus.PROCESSING, DataExportStatus.READY)
# A pending export nobody claimed for this long is enqueued again by the sweep (broker down).
REQUEUE_AFTER = datetime.timedelta(minutes=10)
ARCHIVE_PREFIX = "studymate-data"
# Text a spreadsheet would run as a formula when the CSV is opened (CSV injection): a quiz's
# question text comes from its author, who may not be the learner.
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
# Zips this small stay in memory while being written.
_SPOOL_BYTES = 8 * 1024 * 1024

THROTTLED_MESSAGE = _(
    "An export of your data is already being prepared or ready to download. "
    "You can ask for a new one after the time in Retry-After."
)


def _interval() -> datetime.timedelta:
    return datetime.timedelta(hours=settings.ACCOUNTS_DATA_EXPORT_INTERVAL_HOURS)


def _link_lifetime() -> datetime.timedelta:
    return datetime.timedelta(days=settings.ACCOUNTS_DATA_EXPORT_LINK_DAYS)


def _claim_lease() -> datetime.timedelta:
    # Longer than a build may run (its hard time limit kills it): a live claim is never taken.
    return datetime.timedelta(seconds=settings.ACCOUNTS_DATA_EXPORT_TIME_LIMIT + 60)


# --- request ------------------------------------------------------------------------------------


def data_export_request(*, user: User, site: str = "") -> DataExport:
    """A new pending export of `user`'s data, built in the background. `site` is the scheme and
    host the learner reached the API by: the emailed link points there. With eager Celery the
    build has run by the time this returns, and the export read back shows it."""
    with transaction.atomic():
        # Two concurrent requests of one learner: the second waits here, then sees the first.
        User.objects.select_for_update().filter(pk=user.pk).values_list("pk", flat=True).first()
        _check_interval(user)
        export = DataExport.objects.create(user=user, site=site[:200])
        transaction.on_commit(lambda: _enqueue(export.pk))
    export.refresh_from_db()
    return export


def _check_interval(user: User) -> None:
    interval = _interval()
    if not interval:
        return
    now = timezone.now()
    latest = (
        DataExport.objects.filter(
            user=user, status__in=LIVE_STATUSES, created_at__gt=now - interval
        )
        .order_by("-created_at")
        .values_list("created_at", flat=True)
        .first()
    )
    if latest is not None:
        wait = math.ceil((latest + interval - now).total_seconds())
        raise Throttled(THROTTLED_MESSAGE, headers={"Retry-After": str(max(1, wait))})


def _enqueue(export_id: int) -> None:
    from ..tasks import build_data_export  # the task module imports the services

    try:
        build_data_export.delay(export_id)
    except BrokerUnavailable:
        # The request still succeeds: the sweep enqueues the export again once the broker is
        # back (REQUEUE_AFTER).
        logger.exception("data_export_enqueue_failed", export_id=export_id)


# --- build --------------------------------------------------------------------------------------


def data_export_claim(*, export_id: int) -> DataExport | None:
    """The export if this caller won the right to build it, else None (built, failed, gone, or
    being built elsewhere under a live lease)."""
    now = timezone.now()
    claimable = Q(status=DataExportStatus.PENDING) | Q(
        status=DataExportStatus.PROCESSING, claimed_at__lt=now - _claim_lease()
    )
    won = DataExport.objects.filter(claimable, pk=export_id).update(
        status=DataExportStatus.PROCESSING, claimed_at=now
    )
    if won != 1:
        return None
    return DataExport.objects.select_related("user").get(pk=export_id)


def data_export_build(*, export_id: int) -> DataExport | None:
    """The task's work: claim, collect every section into a zip, store it, mark it ready. None
    when there was nothing to do (see `data_export_claim`)."""
    export = data_export_claim(export_id=export_id)
    if export is None:
        return None
    try:
        with tempfile.SpooledTemporaryFile(max_size=_SPOOL_BYTES) as buffer:
            data_export_write_archive(user_id=export.user_id, out=buffer)
            size = buffer.tell()
            buffer.seek(0)
            name = export.file.field.generate_filename(export, f"{ARCHIVE_PREFIX}.zip")
            stored = default_storage.save(name, File(buffer, name=name))
    except Exception as error:  # the soft time limit too: the export must not stay claimed
        _fail(export, error)
        return export
    return _ready(export, stored=stored, size=size)


def _claimed(export: DataExport) -> Q:
    return Q(pk=export.pk, status=DataExportStatus.PROCESSING, claimed_at=export.claimed_at)


def _ready(export: DataExport, *, stored: str, size: int) -> DataExport:
    now = timezone.now()
    fields: dict[str, Any] = {
        "status": DataExportStatus.READY,
        "file": stored,
        "size": size,
        "completed_at": now,
        "expires_at": now + _link_lifetime(),
    }
    with transaction.atomic():
        if DataExport.objects.filter(_claimed(export)).update(**fields) == 1:
            for name, value in fields.items():
                setattr(export, name, value)
            payload: DataExportReadyPayload = {
                "user_id": export.user_id,
                "export_id": export.pk,
                "download_url": data_export_download_url(export),
                "expires_at": fields["expires_at"].isoformat(),
            }
            DATA_EXPORT_READY.record(aggregate_id=export.pk, payload=payload, user=export.user)
            return export
    # Lost the claim (its lease ran out and another build took over) or the row is gone.
    logger.warning("data_export_claim_lost", export_id=export.pk)
    default_storage.delete(stored)
    return DataExport.objects.filter(pk=export.pk).first() or export


def _fail(export: DataExport, error: Exception) -> None:
    logger.error(
        "data_export_failed", export_id=export.pk, error=type(error).__name__, exc_info=error
    )
    fields = {
        "status": DataExportStatus.FAILED,
        "error": f"{type(error).__name__}: {error}"[:500],
        "completed_at": timezone.now(),
    }
    DataExport.objects.filter(_claimed(export)).update(**fields)
    for name, value in fields.items():
        setattr(export, name, value)


# --- the archive --------------------------------------------------------------------------------


def data_export_write_archive(*, user_id: int, out: IO[bytes]) -> list[str]:
    """Writes the zip of every registered section for the learner to `out`; returns the names
    of the files in it. A section that fails fails the whole export: half a copy of one's data
    would look complete."""
    names: list[str] = []
    sections = data_export_sections.sections()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for section in sections:
            data = section.collect(user_id)
            names += _write_section(archive, section, data)
        manifest = {
            "user_id": user_id,
            "exported_at": timezone.now(),
            "sections": [section.name for section in sections],
            "files": names,
        }
        archive.writestr("manifest.json", _json(manifest))
    return ["manifest.json", *names]


def _write_section(
    archive: zipfile.ZipFile,
    section: RegisteredSection,
    data: Mapping[str, Sequence[Mapping[str, Any]]],
) -> list[str]:
    written = [f"{section.name}.json"]
    archive.writestr(written[0], _json(data))
    for table in section.csv:
        name = f"{section.name}_{table}.csv"
        archive.writestr(name, _csv(data.get(table, ())))
        written.append(name)
    return written


def _json(value: Any) -> str:
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)


def _csv(rows: Sequence[Mapping[str, Any]]) -> str:
    """UTF-8 with a byte order mark (spreadsheets then read Korean right); the columns are
    every key of the rows, in the order first seen; nested values as JSON."""
    columns: dict[str, None] = {}
    for row in rows:
        columns.update(dict.fromkeys(row))
    text = io.StringIO()
    writer = csv.writer(text)
    writer.writerow(columns)
    for row in rows:
        writer.writerow(_cell(row.get(column)) for column in columns)
    return "\ufeff" + text.getvalue()


def _cell(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime.datetime | datetime.date | datetime.time):
        return value.isoformat()
    if isinstance(value, dict | list | tuple):
        return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False)
    if isinstance(value, str):
        return "'" + value if value.startswith(_FORMULA_START) else value
    return str(value)


# --- the link -----------------------------------------------------------------------------------


def _signer() -> signing.TimestampSigner:
    return signing.TimestampSigner(salt=SIGNING_SALT)


def data_export_download_token(export: DataExport) -> str:
    return _signer().sign(str(export.pk))


def data_export_download_url(export: DataExport, *, site: str | None = None) -> str:
    """The download link: absolute on `site` (the export's own by default), relative without
    one."""
    path = reverse(
        "accounts:data-export-download", kwargs={"token": data_export_download_token(export)}
    )
    base = export.site if site is None else site
    return f"{base.rstrip('/')}{path}" if base else path


def data_export_for_download(*, token: str) -> DataExport:
    """The ready export a link names, while the link works; 404 for a tampered, unknown or
    expired link, an export whose file is gone, or an account no longer active (deactivated,
    or being deleted: its data leaves through no link)."""
    try:
        export_id = int(_signer().unsign(token, max_age=_link_lifetime()))
    except (signing.BadSignature, ValueError):
        raise NotFound() from None
    export = DataExport.objects.filter(
        pk=export_id,
        status=DataExportStatus.READY,
        expires_at__gt=timezone.now(),
        user__is_active=True,
    ).first()
    if export is None or not export.file:
        raise NotFound()
    return export


# --- retention ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class SweepResult:
    expired: int
    requeued: int
    pruned: int


def data_exports_sweep(*, limit: int = 500) -> SweepResult:
    """For the beat schedule: expires ready exports past their link (the file first, then the
    row, so a crash in between only repeats the deletion), enqueues again builds nobody holds,
    and prunes old rows of expired and failed exports. Bounded per run; safe to run often."""
    now = timezone.now()
    expired = 0
    due = DataExport.objects.filter(status=DataExportStatus.READY, expires_at__lte=now)
    for export in due.order_by("expires_at")[:limit]:
        if export.file:
            default_storage.delete(export.file.name)
        expired += DataExport.objects.filter(pk=export.pk, status=DataExportStatus.READY).update(
            status=DataExportStatus.EXPIRED, file=""
        )
    stale = DataExport.objects.filter(
        Q(status=DataExportStatus.PENDING, created_at__lt=now - REQUEUE_AFTER)
        | Q(status=DataExportStatus.PROCESSING, claimed_at__lt=now - _claim_lease())
    )
    requeued = list(stale.order_by("created_at").values_list("pk", flat=True)[:limit])
    for export_id in requeued:
        _enqueue(export_id)
    cutoff = now - datetime.timedelta(days=settings.ACCOUNTS_DATA_EXPORT_ROW_RETENTION_DAYS)
    old = DataExport.objects.filter(
        status__in=(DataExportStatus.EXPIRED, DataExportStatus.FAILED), created_at__lt=cutoff
    )
    old_ids = list(old.values_list("pk", flat=True)[:limit])
    pruned = DataExport.objects.filter(pk__in=old_ids).delete()[0] if old_ids else 0
    return SweepResult(expired=expired, requeued=len(requeued), pruned=pruned)
