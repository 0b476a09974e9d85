"""User.effective_quota() and storage_used()."""

from __future__ import annotations

import pytest
from pytest_django import Settings

from accounts.models import User
from accounts.tests.conftest import AddFile


@pytest.mark.parametrize(
    ("quota", "default", "expected"),
    [
        (None, 0, None),  # no quota anywhere: unlimited
        (None, 5000, 5000),  # the site default applies
        (100, 5000, 100),  # the user's own quota wins
        (0, 5000, None),  # 0 on the user: unlimited, whatever the default
    ],
)
def test_effective_quota(
    alice: User, settings: Settings, quota: int | None, default: int, expected: int | None
) -> None:
    settings.PORTAL_DEFAULT_QUOTA = default
    alice.quota = quota
    assert alice.effective_quota() == expected


def test_storage_used_is_zero_without_files(alice: User) -> None:
    assert alice.storage_used() == 0


def test_storage_used_sums_only_the_users_files(alice: User, bob: User, add_file: AddFile) -> None:
    add_file(alice, 100)
    add_file(alice, 23)
    add_file(bob, 1000)
    assert alice.storage_used() == 123
    assert bob.storage_used() == 1000
