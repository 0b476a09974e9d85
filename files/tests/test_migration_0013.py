"""0013 adds the share label and the scan status; the files already stored are "not scanned"."""

from __future__ import annotations

import hashlib
import uuid

import pytest

from accounts.models import User
from files.tests.utils import migrate_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("files", "0008_file_checksums_and_mtime")]
AFTER = [("files", "0013_privacy")]


def test_stored_files_are_not_scanned_and_the_usage_triggers_survive(alice: User) -> None:
    executor = migrate_to(BEFORE)
    try:
        File = executor.loader.project_state(BEFORE).apps.get_model("files", "UploadedFile")
        pk = uuid.uuid4()
        File.objects.create(
            id=pk,
            owner_id=alice.pk,
            file=f"u/{alice.pk}/{pk}",
            name="old.bin",
            size=1234,
            content_type="application/octet-stream",
            sha256=hashlib.sha256(b"").hexdigest(),
        )
        migrate_to(AFTER)
    finally:
        migrate_to(executor.loader.graph.leaf_nodes())

    from files.models import ScanStatus, StorageUsage, UploadedFile

    old = UploadedFile.objects.get(pk=pk)
    assert (old.scan_status, old.scan_signature, old.scanned) == (ScanStatus.NOT_SCANNED, "", None)
    # SQLite rebuilt the table for the new columns: the triggers must be back.
    before = StorageUsage.objects.get(owner=alice).used
    UploadedFile.objects.filter(pk=pk).delete()
    assert StorageUsage.objects.get(owner=alice).used == before - 1234
