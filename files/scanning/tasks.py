"""The scan task (django-tasks, run by `manage.py db_worker`), its retries, and the sweep."""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import default_task_backend, task
from django_tasks.base import Task

from files.models import FileVersion, ScanStatus, UploadedFile
from files.previews.tasks import schedule_thumbnails
from files.scanning import scan
from files.scanning.clamd import ScannerUnavailable

logger = logging.getLogger(__name__)


@task()
def scan_file(file_id: str) -> str:
    """Scan one pending file; while clamd does not answer, try again later.

    Every PORTAL_SCAN_RETRY_SECONDS with a worker (db_worker runs tasks whose
    time has come); `manage.py portal_scan` also sweeps every pending file.
    """
    upload = UploadedFile.objects.filter(pk=file_id, scan_status=ScanStatus.PENDING).first()
    if upload is None:
        return "gone"  # deleted, released or scanned since
    try:
        status = scan.check(upload)
    except ScannerUnavailable as error:
        _postpone(scan_file, file_id, error)
        return ScanStatus.PENDING
    if status == ScanStatus.CLEAN:
        # Thumbnails only now: an unscanned or infected file's bytes are not decoded.
        schedule_thumbnails([upload])
    elif status == ScanStatus.INFECTED:
        logger.warning("quarantined %s: %s", file_id, upload.scan_signature)
    return status


@task()
def scan_version(version_id: str) -> str:
    """Scan one pending earlier version: bytes replaced (or restored over) before their verdict."""
    version = FileVersion.objects.filter(pk=version_id, scan_status=ScanStatus.PENDING).first()
    if version is None:
        return "gone"
    try:
        status = scan.check(version)
    except ScannerUnavailable as error:
        _postpone(scan_version, version_id, error)
        return ScanStatus.PENDING
    if status == ScanStatus.INFECTED:
        logger.warning("quarantined version %s: %s", version_id, version.scan_signature)
    return status


def _postpone(scan_task: Task[[str], str], pk: str, error: ScannerUnavailable) -> None:
    logger.warning("scan of %s postponed: %s", pk, error)
    if default_task_backend.supports_defer:
        later = timezone.now() + timedelta(seconds=settings.PORTAL_SCAN_RETRY_SECONDS)
        scan_task.using(run_after=later).enqueue(pk)


def after_store(files: Iterable[UploadedFile]) -> None:
    """What follows new bytes of a file, once its transaction commits: a scan, or its thumbnail.

    A scan while the verdict is pending; a thumbnail at once for bytes already
    cleared (scanning off, or a restored version that was clean); nothing for
    bytes that stay withheld (or pending with scanning off: `portal_scan` later).
    """
    files = list(files)
    for upload in files:
        if upload.scan_status == ScanStatus.PENDING and scan.enabled():
            transaction.on_commit(partial(scan_file.enqueue, str(upload.pk)), robust=True)
    cleared = (ScanStatus.CLEAN, ScanStatus.NOT_SCANNED)
    schedule_thumbnails([upload for upload in files if upload.scan_status in cleared])


def after_keep(version: FileVersion) -> None:
    """A version kept while its bytes were still being checked is scanned on its own."""
    if version.scan_status == ScanStatus.PENDING and scan.enabled():
        transaction.on_commit(partial(scan_version.enqueue, str(version.pk)), robust=True)


def scan_pending() -> dict[str, int]:
    """Scan every pending file, then version, oldest first; how many ended in each status."""
    counts: dict[str, int] = {}
    pending = ScanStatus.PENDING
    files = UploadedFile.objects.filter(scan_status=pending).order_by("created")
    versions = FileVersion.objects.filter(scan_status=pending).order_by("replaced")
    for scan_task, ids in (
        (scan_file, files.values_list("pk", flat=True)),
        (scan_version, versions.values_list("pk", flat=True)),
    ):
        for pk in ids:
            status = scan_task.call(str(pk))
            counts[status] = counts.get(status, 0) + 1
    return counts
