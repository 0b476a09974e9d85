"""Background work on files, run by `manage.py db_worker` (django-tasks)."""

from __future__ import annotations

from collections.abc import Iterable
from functools import partial

from django.db import transaction
from django_tasks import task

from files.models import ScanStatus, UploadedFile
from files.previews import thumbnails
from files.previews.images import IMAGE_FORMATS


@task()
def make_thumbnail(file_id: str) -> bool:
    """Render the thumbnail of one file; False when it has none (no image, or gone)."""
    upload = UploadedFile.objects.filter(pk=file_id).first()
    if upload is None:
        return False  # deleted before a worker got to it
    if upload.scan_status not in (ScanStatus.CLEAN, ScanStatus.NOT_SCANNED):
        return False  # bytes ClamAV has not cleared are never decoded (files.scanning)
    return thumbnails.generate(upload)


def schedule_thumbnails(files: Iterable[UploadedFile]) -> None:
    """Queue a thumbnail for every image among `files` once their transaction commits.

    After the commit, so that the worker finds the row; robust, because the
    upload has succeeded by then and a queue that fails costs only the
    thumbnail (logged), not the user's upload.
    """
    for upload in files:
        if upload.content_type in IMAGE_FORMATS:
            transaction.on_commit(partial(make_thumbnail.enqueue, str(upload.pk)), robust=True)
