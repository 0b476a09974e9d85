"""manage.py portal_prune_downloads: drop download-trail entries past the retention."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.conf import settings
from django.core.management.base import BaseCommand

from files.sharing import audit


class Command(BaseCommand):
    help = "Delete download records older than PORTAL_AUDIT_RETENTION_DAYS (or --days)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--days",
            type=int,
            default=None,
            help=f"keep this many days (default {settings.PORTAL_AUDIT_RETENTION_DAYS})",
        )

    def handle(self, *args: Any, days: int | None, **options: Any) -> None:
        deleted = audit.prune(days)
        self.stdout.write(f"Deleted {deleted} download record(s).")
