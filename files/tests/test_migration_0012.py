"""0012 adds the trash's columns and versions: the storage total still moves afterwards.

SQLite rebuilds files_uploadedfile for the new columns (and again to undo
them), which drops its triggers silently; CI runs this on PostgreSQL too.
"""

from __future__ import annotations

import uuid

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from accounts.models import User
from files.tests.utils import migrate_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("files", "0008_file_checksums_and_mtime")]
AFTER = [("files", "0012_trash_and_versions")]


def test_the_total_moves_for_files_and_versions_after_0012_both_ways(alice: User) -> None:
    executor = migrate_to(BEFORE)
    try:
        File = executor.loader.project_state(BEFORE).apps.get_model("files", "UploadedFile")
        File.objects.create(
            id=uuid.uuid4(), owner_id=alice.pk, file=f"u/{alice.pk}/{uuid.uuid4()}",
            name="before.bin", size=11, content_type="application/octet-stream", sha256="0" * 64,
        )  # fmt: skip
        migrate_to(AFTER)
        migrate_to(BEFORE)  # undone: the rebuild back must leave the triggers too
        File.objects.create(
            id=uuid.uuid4(), owner_id=alice.pk, file=f"u/{alice.pk}/{uuid.uuid4()}",
            name="between.bin", size=5, content_type="application/octet-stream", sha256="0" * 64,
        )  # fmt: skip
    finally:
        migrate_to(executor.loader.graph.leaf_nodes())

    from files.history import trash
    from files.models import FileVersion, StorageUsage, UploadedFile
    from files.uploads import intake

    def used() -> int:
        return StorageUsage.objects.get(owner=alice).used

    assert used() == 16
    [stored] = intake.store_uploads(
        alice, [intake.describe_upload(SimpleUploadedFile("a.txt", b"x" * 7), "a.txt")]
    )
    assert used() == 23
    intake.replace_file(stored, SimpleUploadedFile("a.txt", b"y" * 3))
    assert used() == 26  # 7 kept as a version, 3 current
    trash.trash_file(stored, by=alice)
    assert used() == 26  # the trash counts
    FileVersion.objects.filter(file=stored).delete()
    assert used() == 19
    FileVersion.objects.create(
        file=stored, owner=alice, stored="u/x", size=100, content_type="text/plain",
        sha256="0" * 64, modified=timezone.now(),
    )  # fmt: skip
    assert used() == 119
    UploadedFile.objects.filter(pk=stored.pk).delete()  # its version goes by cascade
    assert used() == 16
