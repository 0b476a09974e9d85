"""manage.py portal_quota: recompute each user's usage from the stored files and report drift."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError
from django.template.defaultfilters import filesizeformat

from accounts.models import User
from files.integrity import recount


class Command(BaseCommand):
    help = (
        "Measure every stored file, compare each user's total with the sizes the "
        "database records (what quotas count), and list users over their quota. "
        "Exits 1 when anything differs."
    )

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("usernames", nargs="*", help="only these users (default: everyone)")

    def handle(self, *args: Any, usernames: list[str], **options: Any) -> None:
        users = None
        if usernames:
            users = list(User.objects.filter(username__in=usernames))
            unknown = set(usernames) - {user.username for user in users}
            if unknown:
                raise CommandError(f"No such user: {', '.join(sorted(unknown))}")
        drifts = recount.recompute(users)
        for drift in drifts:
            self.stdout.write(
                f"{drift.user.get_username()}: recorded {drift.recorded} bytes "
                f"({filesizeformat(drift.recorded)}), stored {drift.stored} bytes, "
                f"difference {drift.difference:+d}"
                + (
                    f"; quotas count {drift.charged} bytes"
                    if drift.charged != drift.recorded
                    else ""
                )
            )
            for key in drift.missing:
                self.stdout.write(f"  missing from storage: {key}")
        over = [
            (user, usage) for user, usage in recount.over_quota() if users is None or user in users
        ]
        for user, usage in over:
            self.stdout.write(
                f"{user.get_username()}: over quota, {filesizeformat(usage.used)} "
                f"of {filesizeformat(usage.quota or 0)}"
            )
        if drifts or over:
            raise CommandError(f"{len(drifts)} user(s) drift, {len(over)} over quota", returncode=1)
        self.stdout.write("Every user's recorded usage matches storage.")
