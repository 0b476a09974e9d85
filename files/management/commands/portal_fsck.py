"""`manage.py portal_fsck`: compare storage with the database, and repair what is safe."""

from __future__ import annotations

from argparse import ArgumentParser
from datetime import timedelta
from typing import Any

from django.core.files.storage import default_storage
from django.core.management.base import BaseCommand, CommandError

from files.integrity import fsck


class Command(BaseCommand):
    help = (
        "Check every stored file against its row: missing files, orphan files, size and "
        "sha256 mismatches, quota drift. Exits 1 when damage remains."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument(
            "--repair",
            action="store_true",
            help="delete orphan files older than --orphan-age (nothing else without "
            "--delete-missing; mismatches are only reported)",
        )
        parser.add_argument(
            "--orphan-age",
            type=float,
            default=3600,
            metavar="SECONDS",
            help="how old an orphan must be before --repair deletes it (default: 3600); "
            "a younger one may be an upload about to commit",
        )
        parser.add_argument(
            "--delete-missing",
            action="store_true",
            help="with --repair, also delete the rows whose bytes are gone",
        )
        parser.add_argument(
            "--no-hash",
            action="store_true",
            help="compare sizes only: skip reading every byte for the sha256",
        )

    def handle(self, *args: Any, **options: Any) -> None:
        if options["delete_missing"] and not options["repair"]:
            raise CommandError("--delete-missing needs --repair")
        report = fsck.check(default_storage, hash_contents=not options["no_hash"])
        if options["repair"]:
            fsck.repair(
                report,
                default_storage,
                orphan_age=timedelta(seconds=options["orphan_age"]),
                delete_missing=options["delete_missing"],
            )
        for problem in report.problems:
            fixed = " (repaired)" if problem in report.repaired else ""
            self.stdout.write(f"{problem}{fixed}")
        summary = (
            f"{report.rows} rows, {report.objects} stored objects: "
            f"{len(report.problems)} problems, {len(report.repaired)} repaired"
        )
        if report.unrepaired:
            # CommandError: the summary on stderr and exit status 1.
            raise CommandError(summary)
        self.stdout.write(summary)
