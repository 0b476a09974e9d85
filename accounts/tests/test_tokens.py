"""accounts.tokens: creating, finding, expiring and revoking personal access tokens."""

from __future__ import annotations

import hashlib
import re
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts import tokens
from accounts.models import Token, User

SHAPE = re.compile(r"ptk_[A-Za-z0-9_-]{43}")


def test_the_database_never_holds_the_secret(alice: User) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    row = Token.objects.filter(pk=token.pk).values().get()
    assert secret not in repr(row)
    assert secret[len("ptk_") :] not in repr(row)
    assert row["digest"] == hashlib.sha256(secret.encode()).hexdigest()


def test_it_looks_like_ptk_and_43_url_safe_characters(alice: User) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    assert SHAPE.fullmatch(secret)
    assert token.prefix == secret[:12]
    assert str(token) == f"laptop ({secret[:12]}…)"
    _, other = tokens.create_token(alice, "desktop")
    assert other != secret


def test_it_authenticates_its_owner(alice: User) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    found = tokens.authenticate_token(secret)
    assert found == token
    assert found is not None
    assert found.owner == alice
    assert not found.read_only


def test_it_keeps_the_read_only_flag(alice: User) -> None:
    _, secret = tokens.create_token(alice, "backup", read_only=True)
    found = tokens.authenticate_token(secret)
    assert found is not None
    assert found.read_only


@pytest.mark.parametrize(
    "mangle",
    [
        lambda s: s[:-1] + ("A" if s[-1] != "A" else "B"),  # one character off
        lambda s: s[len("ptk_") :],  # without its prefix
        lambda s: s.upper(),
        lambda s: s + "x",
        lambda s: "",
        lambda s: "ptk_" + "A" * 10_000,  # refused by shape, never hashed
    ],
)
def test_it_refuses_a_token_never_issued(alice: User, mangle) -> None:
    _, secret = tokens.create_token(alice, "laptop")
    assert tokens.authenticate_token(mangle(secret)) is None


def test_it_refuses_the_account_password(alice: User) -> None:
    tokens.create_token(alice, "laptop")
    assert tokens.authenticate_token("password") is None


def test_it_refuses_a_revoked_token(alice: User) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    tokens.revoke(token)
    assert tokens.authenticate_token(secret) is None
    token.refresh_from_db()
    assert token.revoked is not None


def test_revoking_twice_keeps_the_first_time(alice: User) -> None:
    token, _ = tokens.create_token(alice, "laptop")
    tokens.revoke(token)
    first = Token.objects.get(pk=token.pk).revoked
    tokens.revoke(Token.objects.get(pk=token.pk))
    assert Token.objects.get(pk=token.pk).revoked == first


def test_it_expires(alice: User) -> None:
    token, secret = tokens.create_token(alice, "laptop", expires_days=30)
    assert token.expires is not None
    assert abs(token.expires - (timezone.now() + timedelta(days=30))) < timedelta(minutes=1)
    assert tokens.authenticate_token(secret) == token
    Token.objects.filter(pk=token.pk).update(expires=timezone.now() - timedelta(seconds=1))
    assert tokens.authenticate_token(secret) is None


def test_it_never_expires_by_default(alice: User) -> None:
    token, _ = tokens.create_token(alice, "laptop")
    assert token.expires is None


@pytest.mark.parametrize("days", [0, -1, 3651])
def test_it_refuses_an_expiry_out_of_range(alice: User, days: int) -> None:
    with pytest.raises(ValidationError) as caught:
        tokens.create_token(alice, "laptop", expires_days=days)
    assert caught.value.code == "bad_expiry"
    assert not Token.objects.exists()


def test_it_refuses_an_inactive_owner(alice: User) -> None:
    _, secret = tokens.create_token(alice, "laptop")
    alice.is_active = False
    alice.save()
    assert tokens.authenticate_token(secret) is None


def test_names_are_unique_per_owner_among_live_tokens(alice: User, bob: User) -> None:
    first, _ = tokens.create_token(alice, "laptop")
    with pytest.raises(ValidationError) as caught:
        tokens.create_token(alice, " laptop ")
    assert caught.value.code == "name_taken"
    tokens.create_token(bob, "laptop")  # his own
    tokens.revoke(first)
    tokens.create_token(alice, "laptop")  # the revoked one's name is free again
    assert Token.objects.filter(owner=alice).count() == 2


def test_it_refuses_an_empty_name(alice: User) -> None:
    with pytest.raises(ValidationError) as caught:
        tokens.create_token(alice, "   ")
    assert caught.value.code == "bad_name"


def updates(queries: CaptureQueriesContext) -> list[str]:
    return [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]


def test_it_records_the_last_use_at_most_once_a_minute(alice: User) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    assert token.last_used is None
    with CaptureQueriesContext(connection) as first:
        tokens.authenticate_token(secret)
    assert len(updates(first)) == 1
    used = Token.objects.get(pk=token.pk).last_used
    assert used is not None
    with CaptureQueriesContext(connection) as again:
        tokens.authenticate_token(secret)
    assert updates(again) == []  # no write per request
    Token.objects.filter(pk=token.pk).update(last_used=used - timedelta(minutes=2))
    tokens.authenticate_token(secret)
    later = Token.objects.get(pk=token.pk).last_used
    assert later is not None
    assert later > used - timedelta(minutes=2)


def test_a_revoked_token_is_not_marked_used(alice: User) -> None:
    token, secret = tokens.create_token(alice, "laptop")
    tokens.revoke(token)
    tokens.authenticate_token(secret)
    assert Token.objects.get(pk=token.pk).last_used is None
