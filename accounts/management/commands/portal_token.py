"""`manage.py portal_token create|revoke|list`: personal access tokens from a shell."""

from __future__ import annotations

from argparse import ArgumentParser
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from accounts import tokens
from accounts.models import Token, User


class Command(BaseCommand):
    help = "Create, revoke or list a user's personal access tokens."

    def add_arguments(self, parser: ArgumentParser) -> None:
        actions = parser.add_subparsers(dest="action", required=True)
        create = actions.add_parser("create", help="print a new token alone on the last line")
        create.add_argument("username")
        create.add_argument("--name", required=True, help="unique among the user's tokens")
        create.add_argument("--read-only", action="store_true", help="refused on every write")
        create.add_argument("--expires-days", type=int, metavar="N", help="default: never")
        revoke = actions.add_parser("revoke", help="end the user's token of that name at once")
        revoke.add_argument("username")
        revoke.add_argument("name")
        listing = actions.add_parser("list", help="the user's live tokens, never their secrets")
        listing.add_argument("username")

    def handle(self, *args: Any, **options: Any) -> None:
        user = self._user(options["username"])
        if options["action"] == "create":
            self._create(user, options["name"], options["read_only"], options["expires_days"])
        elif options["action"] == "revoke":
            self._revoke(user, options["name"])
        else:
            self._list(user)

    def _user(self, username: str) -> User:
        try:
            return User.objects.get(username=username)
        except User.DoesNotExist:
            raise CommandError(f"No user named {username!r}.") from None

    def _create(self, user: User, name: str, read_only: bool, expires_days: int | None) -> None:
        try:
            token, secret = tokens.create_token(
                user, name, read_only=read_only, expires_days=expires_days
            )
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from None
        expires = f", expires {token.expires:%Y-%m-%d %H:%M %Z}" if token.expires else ""
        access = "read-only" if token.read_only else "read and write"
        self.stderr.write(f"Token {token.name!r} for {user.username} ({access}{expires}).")
        self.stderr.write("It is shown only this once:")
        # Alone on the last line of stdout, so that `... | tail -n1` captures it.
        self.stdout.write(secret)

    def _revoke(self, user: User, name: str) -> None:
        token = Token.objects.filter(owner=user, name=name, revoked__isnull=True).first()
        if token is None:
            raise CommandError(f"{user.username} has no live token named {name!r}.")
        tokens.revoke(token)
        self.stdout.write(f"Revoked {token.name!r} ({token.prefix}…) of {user.username}.")

    def _list(self, user: User) -> None:
        for token in Token.objects.filter(owner=user, revoked__isnull=True):
            used = f"{token.last_used:%Y-%m-%d %H:%M}" if token.last_used else "never"
            expires = f"{token.expires:%Y-%m-%d %H:%M}" if token.expires else "never"
            access = "read-only" if token.read_only else "read-write"
            self.stdout.write(
                f"{token.name}\t{token.prefix}…\t{access}\tcreated {token.created:%Y-%m-%d %H:%M}"
                f"\tlast used {used}\texpires {expires}"
            )
