"""One code, sent by several requests at the same moment, signs in once."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from accounts import twofactor
from accounts.models import User
from accounts.tests.otp import code, enable

pytestmark = pytest.mark.django_db(transaction=True)


def race(user: User, typed: str, runners: int = 8) -> list[bool]:
    start = threading.Barrier(runners)
    results: list[bool] = []

    def attempt() -> None:
        start.wait()
        try:
            results.append(twofactor.verify(user, typed))
        finally:
            connection.close()

    threads = [threading.Thread(target=attempt) for _ in range(runners)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return results


def test_one_code_at_once_from_eight_requests_passes_once() -> None:
    alice = User.objects.create_user("alice", password="password")
    device, _ = enable(alice)
    assert sorted(race(alice, code(device.bin_key))) == [False] * 7 + [True]


def test_one_recovery_code_at_once_from_eight_requests_passes_once() -> None:
    alice = User.objects.create_user("alice", password="password")
    _, codes = enable(alice)
    assert sorted(race(alice, codes[0])) == [False] * 7 + [True]
