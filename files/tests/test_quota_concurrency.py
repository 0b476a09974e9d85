"""Two uploads racing for the last bytes of a quota, on a real PostgreSQL.

store_uploads locks the owner's row before it checks the quota. Here the first
upload to get the lock is held inside its transaction until PostgreSQL shows
the second one waiting for that lock; without the lock the second would not
wait, both checks would pass, and both files would be stored.
"""

from __future__ import annotations

import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, connections

from accounts.models import User
from files import services
from files.models import UploadedFile
from files.tests.utils import stored_paths

pytestmark = pytest.mark.django_db(transaction=True)

LOCK_WAIT_TIMEOUT = 10.0


def someone_waits_for_a_row_lock() -> bool:
    with connections["default"].cursor() as cursor:
        cursor.execute("SELECT count(*) FROM pg_locks WHERE NOT granted")
        return cursor.fetchone()[0] > 0


def test_two_uploads_cannot_both_pass_the_quota(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("row locks need PostgreSQL: CI's second pass runs this with DATABASE_URL")
    owner = User.objects.create_user("alice", password="password", quota=100)
    original_check = services.check_quota
    first_holder = threading.Lock()

    def check_then_hold(user: User, incoming_bytes: int) -> None:
        original_check(user, incoming_bytes)
        if first_holder.acquire(blocking=False):
            # Keep the lock (and the transaction) until the other upload queues behind it.
            deadline = time.monotonic() + LOCK_WAIT_TIMEOUT
            while not someone_waits_for_a_row_lock() and time.monotonic() < deadline:
                time.sleep(0.01)

    monkeypatch.setattr(services, "check_quota", check_then_hold)
    start = threading.Barrier(2)
    outcomes: list[str] = []

    def upload(name: str) -> None:
        try:
            described = services.describe_upload(SimpleUploadedFile(name, b"x" * 60), name)
            start.wait()
            services.store_uploads(owner, [described])
            outcomes.append("stored")
        except ValidationError as error:
            outcomes.append(error.code or "")
        finally:
            connection.close()

    threads = [threading.Thread(target=upload, args=(name,)) for name in ("a.bin", "b.bin")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)

    assert sorted(outcomes) == ["over_quota", "stored"]
    assert UploadedFile.objects.filter(owner=owner).count() == 1
    assert len(stored_paths()) == 1
