"""The trash's expiry, run by `manage.py db_worker` (django-tasks).

django-tasks has no periodic schedule: each trashing queues one purge for the
moment its item expires (PORTAL_TRASH_DAYS later), and that purge takes
everything expired by then. `manage.py portal_purge_trash` does the same from
cron, for a database whose queue was lost.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django_tasks import task

from files import names
from files.models import Folder, UploadedFile


def purge_expired(now: datetime | None = None) -> int:
    """Delete forever what has been in any trash for PORTAL_TRASH_DAYS; how many rows went.

    A trashed folder's tree shares its `trashed_at`, so it expires whole.
    Bytes go after each owner's commit (files/signals.py).
    """
    cutoff = (now or timezone.now()) - timedelta(days=settings.PORTAL_TRASH_DAYS)
    files = UploadedFile.objects.filter(trashed_at__lt=cutoff)
    folders = Folder.objects.filter(trashed_at__lt=cutoff)
    owners = {
        *files.values_list("owner_id", flat=True),
        *folders.values_list("owner_id", flat=True),
    }
    removed = 0
    for owner_id in sorted(owners):
        with transaction.atomic():
            names.lock_owner(owner_id)
            removed += files.filter(owner_id=owner_id).delete()[0]
            removed += folders.filter(owner_id=owner_id).delete()[0]
    return removed


@task()
def purge_expired_trash() -> int:
    """The worker's side of purge_expired."""
    return purge_expired()


def schedule_expiry(trashed_at: datetime) -> None:
    """Queue the purge of what was trashed at `trashed_at`, once its transaction commits.

    A backend that cannot defer (the tests' immediate one) gets nothing: the
    purge would run now and find nothing expired.
    """
    if not purge_expired_trash.get_backend().supports_defer:
        return
    # A minute late: the item is surely past the cutoff when the worker runs it.
    when = trashed_at + timedelta(days=settings.PORTAL_TRASH_DAYS, minutes=1)
    deferred = purge_expired_trash.using(run_after=when)
    transaction.on_commit(deferred.enqueue, robust=True)
