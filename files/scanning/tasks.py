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

from files.models import ScanStatus, UploadedFile
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
        logger.warning("scan of %s postponed: %s", file_id, error)
        if default_task_backend.supports_defer:
            later = timezone.now() + timedelta(seconds=settings.PORTAL_SCAN_RETRY_SECONDS)
            scan_file.using(run_after=later).enqueue(file_id)
        return ScanStatus.PENDING
    if status == ScanStatus.CLEAN:
        # Thumbnails only now: an unscanned or infected file's bytes are not decoded.
        schedule_thumbnails([upload])
    elif status == ScanStatus.INFECTED:
        logger.warning("quarantined %s: %s", file_id, upload.scan_signature)
    return status


def after_store(files: Iterable[UploadedFile]) -> None:
    """What follows a stored file, once its transaction commits: a scan, or its thumbnail."""
    files = list(files)
    if not scan.enabled():
        schedule_thumbnails(files)
        return
    for upload in files:
        transaction.on_commit(partial(scan_file.enqueue, str(upload.pk)), robust=True)


def scan_pending() -> dict[str, int]:
    """Scan every pending file now, oldest first; how many ended in each status."""
    counts: dict[str, int] = {}
    for file_id in (
        UploadedFile.objects.filter(scan_status=ScanStatus.PENDING)
        .order_by("created")
        .values_list("pk", flat=True)
    ):
        status = scan_file.call(str(file_id))
        counts[status] = counts.get(status, 0) + 1
    return counts
