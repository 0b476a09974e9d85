"""manage.py portal_purge_trash: delete forever what has waited in the trash past its days."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from files.history import tasks


class Command(BaseCommand):
    help = (
        "Delete forever the files and folders in the trash for more than PORTAL_TRASH_DAYS. "
        "The task worker does it on its own; this is for cron, or a lost queue."
    )

    def handle(self, *args: Any, **options: Any) -> None:
        removed = tasks.purge_expired()
        days = settings.PORTAL_TRASH_DAYS
        self.stdout.write(f"Deleted {removed} file(s) and folder(s) trashed over {days} days ago.")
