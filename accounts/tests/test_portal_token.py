"""manage.py portal_token create|revoke|list."""

from __future__ import annotations

import re
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from accounts import tokens
from accounts.models import Token, User


def run(*args: str) -> str:
    out = StringIO()
    call_command("portal_token", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_create_prints_the_token_alone_on_the_last_line(alice: User) -> None:
    last = run("create", "alice", "--name", "backup").splitlines()[-1]
    assert re.fullmatch(r"ptk_[A-Za-z0-9_-]{43}", last)
    token = tokens.authenticate_token(last)
    assert token is not None
    assert (token.owner, token.name, token.read_only, token.expires) == (
        alice,
        "backup",
        False,
        None,
    )


def test_create_takes_read_only_and_expiry(alice: User) -> None:
    run("create", "alice", "--name", "backup", "--read-only", "--expires-days", "7")
    token = Token.objects.get()
    assert token.read_only
    assert token.expires is not None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["create", "nobody", "--name", "x"], "No user named 'nobody'."),
        (["create", "alice", "--name", "taken"], "You already have a token named “taken”."),
        (["create", "alice", "--name", "x", "--expires-days", "0"], "between 1 and 3650 days"),
        (["revoke", "alice", "nothing"], "alice has no live token named 'nothing'."),
        (["revoke", "nobody", "taken"], "No user named 'nobody'."),
        (["list", "nobody"], "No user named 'nobody'."),
    ],
)
def test_it_explains_what_is_wrong(alice: User, args: list[str], message: str) -> None:
    tokens.create_token(alice, "taken")
    with pytest.raises(CommandError, match=re.escape(message)):
        run(*args)


def test_revoke(alice: User) -> None:
    token, secret = tokens.create_token(alice, "backup")
    assert run("revoke", "alice", "backup") == f"Revoked 'backup' ({token.prefix}…) of alice.\n"
    assert tokens.authenticate_token(secret) is None


def test_revoke_touches_only_that_users_token(alice: User, bob: User) -> None:
    _, bobs = tokens.create_token(bob, "backup")
    with pytest.raises(CommandError):
        run("revoke", "alice", "backup")
    assert tokens.authenticate_token(bobs) is not None


def test_list_shows_live_tokens_without_secrets(alice: User, bob: User) -> None:
    laptop, secret = tokens.create_token(alice, "laptop", read_only=True)
    old, _ = tokens.create_token(alice, "old")
    tokens.revoke(old)
    tokens.create_token(bob, "phone")
    out = run("list", "alice")
    [line] = out.splitlines()
    assert line.startswith(f"laptop\t{laptop.prefix}…\tread-only\tcreated ")
    assert "last used never\texpires never" in line
    assert secret not in out
