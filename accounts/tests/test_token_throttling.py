"""Wrong tokens count in django-axes with wrong passwords: one lockout per (username, address)."""

from __future__ import annotations

import base64
from collections.abc import Callable
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog  # type: ignore[import-untyped]
from django.core.management import call_command
from django.http import HttpRequest
from django.test import Client, RequestFactory
from django.utils import timezone

from accounts import tokens
from accounts.models import Token, User

WRONG = "ptk_" + "A" * 43


def basic(username: str, password: str) -> str:
    return "Basic " + base64.b64encode(f"{username}:{password}".encode()).decode()


@pytest.fixture
def secret(alice: User) -> str:
    return tokens.create_token(alice, "laptop")[1]


Try = Callable[..., str]


@pytest.fixture
def dav(rf: RequestFactory) -> Try:
    """A Basic-auth request: "ok" with the token, "401" without, "429" when locked out."""

    def attempt(password: str, username: str = "alice", address: str = "127.0.0.1") -> str:
        request = rf.get("/dav/", HTTP_AUTHORIZATION=basic(username, password), REMOTE_ADDR=address)
        return outcome(tokens.token_from_basic, request)

    return attempt


@pytest.fixture
def api(rf: RequestFactory) -> Try:
    def attempt(secret: str, address: str = "127.0.0.1") -> str:
        request = rf.get("/api/v1/", HTTP_AUTHORIZATION=f"Bearer {secret}", REMOTE_ADDR=address)
        return outcome(tokens.token_from_bearer, request)

    return attempt


def outcome(helper: Callable[[HttpRequest], Token | None], request: HttpRequest) -> str:
    try:
        return "ok" if helper(request) else "401"
    except tokens.LockedOut as locked:
        assert locked.retry_after == 900
        return "429"


def sign_in(client: Client, password: str) -> int:
    return client.post("/accounts/login/", {"username": "alice", "password": password}).status_code


def test_five_wrong_tokens_lock_the_pair_out(dav: Try, secret: str) -> None:
    assert [dav(WRONG) for _ in range(7)] == ["401"] * 4 + ["429"] * 3
    assert dav(secret) == "429"  # refused before the token is looked at
    assert AccessFailureLog.objects.filter(username="alice").count() == 8


def test_the_account_password_counts_as_a_wrong_token(dav: Try, secret: str) -> None:
    assert [dav("password") for _ in range(5)] == ["401"] * 4 + ["429"]


def test_a_locked_out_client_is_refused_before_its_token_is_checked(
    dav: Try, secret: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    for _ in range(5):
        dav(WRONG)

    def find_token(raw: str) -> None:
        raise AssertionError("the token was looked at")

    monkeypatch.setattr(tokens, "find_token", find_token)
    assert dav(secret) == "429"


def test_wrong_tokens_lock_out_signing_in(dav: Try, secret: str, client: Client) -> None:
    for _ in range(5):
        dav(WRONG)
    assert sign_in(client, "password") == 429


def test_wrong_passwords_lock_out_tokens(dav: Try, api: Try, secret: str, client: Client) -> None:
    assert [sign_in(client, "wrong") for _ in range(4)] == [200] * 4
    assert dav(WRONG) == "429"  # the fifth failure of the pair
    assert dav(secret) == "429"
    assert api(secret) == "429"  # alice's pair, whichever door


def test_case_variants_of_a_username_share_its_count(dav: Try, secret: str) -> None:
    outcomes = [dav(WRONG, username) for username in ["alice", "ALICE", "Alice", "aLice", "alicE"]]
    assert outcomes == ["401"] * 4 + ["429"]
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {"alice"}


def test_another_address_is_not_locked_out(dav: Try, secret: str) -> None:
    for _ in range(5):
        dav(WRONG, address="203.0.113.7")
    assert dav(secret, address="198.51.100.2") == "ok"


def test_another_account_from_the_address_is_not_locked_out(
    dav: Try, secret: str, bob: User
) -> None:
    for _ in range(5):
        dav(WRONG)
    _, bobs = tokens.create_token(bob, "phone")
    assert dav(bobs, "bob") == "ok"


def test_the_lockout_ends_after_the_cool_off(dav: Try, secret: str) -> None:
    for _ in range(5):
        dav(WRONG)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=16))
    assert dav(secret) == "ok"


def test_trying_during_the_lockout_starts_it_again(dav: Try, secret: str) -> None:
    for _ in range(5):
        dav(WRONG)
    AccessAttempt.objects.update(attempt_time=timezone.now() - timedelta(minutes=14))
    assert dav(secret) == "429"  # as at sign-in: even the right token counts now
    attempt = AccessAttempt.objects.get()
    assert timezone.now() - attempt.attempt_time < timedelta(minutes=1)  # 15 more minutes


def test_axes_reset_unlocks(dav: Try, secret: str) -> None:
    for _ in range(5):
        dav(WRONG)
    call_command("axes_reset_username", "alice", verbosity=0)
    assert dav(secret) == "ok"


def test_a_revoked_token_retried_does_not_lock_its_owner_out(
    dav: Try, secret: str, client: Client
) -> None:
    # A forgotten client retrying an old token must not lock alice out of signing in.
    tokens.revoke(Token.objects.get(name="laptop"))
    assert {dav(secret) for _ in range(10)} == {"401"}
    assert sign_in(client, "password") == 302


def test_wrong_bearer_tokens_lock_the_address_out(api: Try, secret: str) -> None:
    assert [api(WRONG) for _ in range(6)] == ["401"] * 4 + ["429"] * 2
    assert api(secret) == "429"
    assert api(secret, address="198.51.100.2") == "ok"
    assert set(AccessAttempt.objects.values_list("username", flat=True)) == {None}


def test_wrong_bearer_tokens_do_not_lock_an_account(
    api: Try, dav: Try, secret: str, client: Client
) -> None:
    for _ in range(5):
        api(WRONG)
    assert dav(secret) == "ok"
    assert sign_in(client, "password") == 302


def test_a_failure_leaves_the_request_to_the_door(rf: RequestFactory, secret: str) -> None:
    # AxesMiddleware would swap the door's answer for the sign-in page if it saw the flag.
    for _ in range(5):
        request = rf.get("/dav/", HTTP_AUTHORIZATION=basic("alice", WRONG))
        try:
            tokens.token_from_basic(request)
        except tokens.LockedOut:
            pass
        assert not getattr(request, "axes_locked_out", False)
