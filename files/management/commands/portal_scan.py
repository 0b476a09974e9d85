"""manage.py portal_scan: scan every pending file and version now (--all: every one again).

The worker retries a file clamd could not take every PORTAL_SCAN_RETRY_SECONDS;
this is the sweep for a worker that was down, and for files stored before
scanning was turned on (`--all` marks them pending first).
"""

from __future__ import annotations

from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from files.models import FileVersion, ScanStatus, UploadedFile
from files.scanning import scan
from files.scanning.tasks import scan_pending


class Command(BaseCommand):
    help = "Scan the pending files with ClamAV (PORTAL_SCAN=clamd)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--all",
            action="store_true",
            help="Also what was never scanned or was scanned before (marks it pending first).",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if not scan.enabled():
            raise CommandError("Scanning is off: set PORTAL_SCAN=clamd.")
        if options["all"]:
            for model in (UploadedFile, FileVersion):
                model.objects.exclude(scan_status=ScanStatus.INFECTED).update(
                    scan_status=ScanStatus.PENDING
                )
        counts = scan_pending()
        for status, count in sorted(counts.items()):
            self.stdout.write(f"{status}: {count}")
        if counts.get(ScanStatus.PENDING):
            raise CommandError("clamd did not answer for some files: they stay pending.")
