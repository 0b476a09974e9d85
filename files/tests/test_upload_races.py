"""Two uploads at once for one owner, on a real PostgreSQL.

store_uploads locks the owner's row, then checks the quota and picks a free
name. Here the first upload to get the lock is held inside its transaction
until PostgreSQL shows the second one waiting for that lock. Without the lock
the second would not wait: both quota checks would pass and both files be
stored, or both would see a name free and the unique constraint would turn
the second into an error instead of a numbered copy.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from accounts.models import User
from files.models import UploadedFile
from files.tests.utils import stored_paths
from files.uploads import intake

pytestmark = pytest.mark.django_db(transaction=True)

LOCK_WAIT_TIMEOUT = 10.0


def someone_waits_for_a_row_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


@pytest.fixture
def race(monkeypatch: pytest.MonkeyPatch) -> Callable[[User, list[tuple[str, bytes]]], list[str]]:
    """Upload each (name, content) in a thread of its own, all at once; their outcomes.

    An outcome is the stored name, or the code of the ValidationError refusing it.
    """
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: CI's second pass runs this with DATABASE_URL")
    original_check = intake.check_quota
    first_holder = threading.Lock()

    def check_then_hold(user: User, incoming_bytes: int) -> None:
        original_check(user, incoming_bytes)
        if first_holder.acquire(blocking=False):
            # Keep the lock (and the transaction) until the other upload queues behind it.
            deadline = time.monotonic() + LOCK_WAIT_TIMEOUT
            while not someone_waits_for_a_row_lock() and time.monotonic() < deadline:
                time.sleep(0.01)

    monkeypatch.setattr(intake, "check_quota", check_then_hold)

    def run(owner: User, uploads: list[tuple[str, bytes]]) -> list[str]:
        start = threading.Barrier(len(uploads))
        outcomes: list[str] = []

        def upload(name: str, content: bytes) -> None:
            try:
                described = intake.describe_upload(SimpleUploadedFile(name, content), name)
                start.wait()
                [stored] = intake.store_uploads(owner, [described])
                outcomes.append(stored.name)
            except ValidationError as error:
                outcomes.append(error.code or "")
            finally:
                connection.close()

        threads = [threading.Thread(target=upload, args=pair) for pair in uploads]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        return sorted(outcomes)

    return run


def test_two_uploads_cannot_both_pass_the_quota(race) -> None:
    owner = User.objects.create_user("alice", password="password", quota=100)

    outcomes = race(owner, [("a.bin", b"x" * 60), ("b.bin", b"x" * 60)])

    assert outcomes in (["a.bin", "over_quota"], ["b.bin", "over_quota"])
    assert UploadedFile.objects.filter(owner=owner).count() == 1
    assert len(stored_paths()) == 1


def test_two_uploads_of_one_name_are_stored_under_two_names(race) -> None:
    owner = User.objects.create_user("alice", password="password")

    outcomes = race(owner, [("same.txt", b"one"), ("same.txt", b"two")])

    assert outcomes == ["same (1).txt", "same.txt"]
    assert UploadedFile.objects.filter(owner=owner).count() == 2
