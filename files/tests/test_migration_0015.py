"""0015 gives versions a verdict: those kept before are "not scanned"; the total still moves.

SQLite rebuilds files_fileversion for the new columns (and again to undo
them), which drops its storage-usage triggers silently; CI runs this on
PostgreSQL too.
"""

from __future__ import annotations

import uuid

import pytest
from django.utils import timezone

from accounts.models import User
from files.tests.utils import migrate_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("files", "0014_drop_uploads")]
AFTER = [("files", "0015_version_scan_status")]


def test_kept_versions_are_not_scanned_and_their_bytes_still_count_both_ways(alice: User) -> None:
    executor = migrate_to(BEFORE)
    try:
        apps = executor.loader.project_state(BEFORE).apps
        File = apps.get_model("files", "UploadedFile")
        Version = apps.get_model("files", "FileVersion")
        current = File.objects.create(
            id=uuid.uuid4(), owner_id=alice.pk, file=f"u/{alice.pk}/{uuid.uuid4()}",
            name="a.bin", size=3, content_type="application/octet-stream", sha256="0" * 64,
        )  # fmt: skip
        old = Version.objects.create(
            id=uuid.uuid4(), file_id=current.pk, owner_id=alice.pk, stored=f"u/{alice.pk}/old",
            size=7, content_type="text/plain", sha256="0" * 64, modified=timezone.now(),
        )  # fmt: skip
        migrate_to(AFTER)
        migrate_to(BEFORE)  # undone: the rebuild back must leave the triggers too
        Version.objects.create(
            id=uuid.uuid4(), file_id=current.pk, owner_id=alice.pk, stored=f"u/{alice.pk}/mid",
            size=5, content_type="text/plain", sha256="0" * 64, modified=timezone.now(),
        )  # fmt: skip
        migrate_to(AFTER)
    finally:
        migrate_to(executor.loader.graph.leaf_nodes())

    from files.models import FileVersion, ScanStatus, StorageUsage

    def used() -> int:
        return StorageUsage.objects.get(owner=alice).used

    kept = FileVersion.objects.get(pk=old.pk)
    assert (kept.scan_status, kept.scan_signature, kept.scanned) == (
        ScanStatus.NOT_SCANNED,
        "",
        None,
    )
    assert used() == 3 + 7 + 5
    FileVersion.objects.filter(pk=old.pk).delete()
    assert used() == 3 + 5
    FileVersion.objects.filter(file_id=current.pk).update(size=50)
    assert used() == 3 + 50
