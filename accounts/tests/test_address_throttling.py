"""One address trying many usernames is locked out at PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT."""

from __future__ import annotations

from axes.models import AccessAttempt  # type: ignore[import-untyped]
from django.test import Client

from accounts.models import User

LOGIN = "/accounts/login/"


def sign_in(username: str, password: str, address: str = "198.51.100.7") -> int:
    response = Client(REMOTE_ADDR=address).post(LOGIN, {"username": username, "password": password})
    return response.status_code


def test_many_usernames_from_one_address_lock_the_address(alice: User, settings) -> None:
    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 12
    # Four usernames, three wrong passwords each: under the per-account 5; the
    # twelfth failure from the address is answered with the lockout, as the
    # fifth for one account is.
    tries = [name for name in ("ann", "ben", "cat", "dan") for _ in range(3)]
    assert [sign_in(name, "guess") for name in tries] == [200] * 11 + [429]
    assert sign_in("eve", "guess") == 429
    # The address is refused even with alice's right password...
    assert sign_in("alice", "password") == 429
    # ...while another address signs alice in.
    assert sign_in("alice", "password", address="203.0.113.9") == 302


def test_an_office_behind_one_address_survives_its_typos(db: None, settings) -> None:
    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 50
    people = [User.objects.create_user(f"user{i}", password="password") for i in range(40)]
    # Forty people, one typo each, then the right password: successes clear their own failures.
    for person in people:
        assert sign_in(person.username, "typo") == 200
        assert sign_in(person.username, "password") == 302
    assert not AccessAttempt.objects.exists()


def test_failures_below_the_address_limit_do_not_lock_it(alice: User, settings) -> None:
    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 50
    for i in range(49):
        assert sign_in(f"nobody{i}", "guess") == 200
    assert sign_in("alice", "password") == 302


def test_the_address_limit_counts_wrong_codes_too(alice: User, settings) -> None:
    from accounts.tests.otp import enable

    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 3
    enable(alice)
    client = Client(REMOTE_ADDR="198.51.100.7")
    client.post(LOGIN, {"username": "alice", "password": "password"})
    assert client.post("/accounts/login/code/", {"code": "000000"}).status_code == 200
    assert sign_in("bob", "guess") == 200
    assert client.post("/accounts/login/code/", {"code": "000001"}).status_code == 429
    assert sign_in("bob", "guess") == 429


def test_zero_turns_the_address_limit_off(db: None, settings) -> None:
    settings.PORTAL_LOGIN_ADDRESS_FAILURE_LIMIT = 0
    for i in range(30):
        assert sign_in(f"nobody{i}", "guess") == 200
