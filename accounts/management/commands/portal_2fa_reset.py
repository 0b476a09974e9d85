"""`manage.py portal_2fa_reset USERNAME`: turn a user's two-factor sign-in off from a shell.

For the administrator who lost their phone and recovery codes and so cannot
reach the admin's "Reset two-factor sign-in" action.
"""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.management.base import BaseCommand, CommandError

from accounts import twofactor
from accounts.models import User


class Command(BaseCommand):
    help = "Turn a user's two-factor sign-in off (they may set it up again)."

    def add_arguments(self, parser: ArgumentParser) -> None:
        parser.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = User.objects.filter(username=options["username"]).first()
        if user is None:
            raise CommandError(f"No user named {options['username']!r}.")
        if not twofactor.is_enabled(user):
            self.stdout.write(f"{user.username} has no two-factor sign-in.")
            return
        twofactor.disable(user)
        self.stdout.write(f"Two-factor sign-in is off for {user.username}.")
