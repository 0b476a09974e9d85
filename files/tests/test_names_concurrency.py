"""Two uploads of one name at once, on a real PostgreSQL: each gets its own name.

store_uploads chooses a free name under the owner's row lock. The first upload
to get the lock holds it until PostgreSQL shows the second waiting; without
the lock both would see the name free, and the unique constraint would turn
the second into an error instead of a numbered copy.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection

from accounts.models import User
from files import services
from files.models import UploadedFile
from files.tests.test_quota_concurrency import LOCK_WAIT_TIMEOUT, someone_waits_for_a_row_lock

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_uploads_of_one_name_both_stored_under_two_names(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: CI's second pass runs this with DATABASE_URL")
    owner = User.objects.create_user("alice", password="password")
    original_check = services.check_quota
    first_holder = threading.Lock()

    def check_then_hold(user: User, incoming_bytes: int) -> None:
        original_check(user, incoming_bytes)
        if first_holder.acquire(blocking=False):
            deadline = time.monotonic() + LOCK_WAIT_TIMEOUT
            while not someone_waits_for_a_row_lock() and time.monotonic() < deadline:
                time.sleep(0.01)

    monkeypatch.setattr(services, "check_quota", check_then_hold)
    start = threading.Barrier(2)
    stored: list[str] = []
    failures: list[BaseException] = []

    def upload(content: bytes) -> None:
        try:
            incoming = SimpleUploadedFile("same.txt", content)
            described = services.describe_upload(incoming, "same.txt")
            start.wait()
            [one] = services.store_uploads(owner, [described])
            stored.append(one.name)
        except BaseException as error:  # reported by the assert below
            failures.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(c,)) for c in (b"one", b"two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert failures == []
    assert sorted(stored) == ["same (1).txt", "same.txt"]
    assert UploadedFile.objects.filter(owner=owner).count() == 2
