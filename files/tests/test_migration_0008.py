"""0008 fills in SHA-1, CRC-32 and the modification time of the files already stored."""

from __future__ import annotations

import datetime
import hashlib
import uuid
import zlib
from pathlib import Path

import pytest
from django.conf import settings

from accounts.models import User
from files.tests.utils import migrate_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("files", "0007_file_names_unique")]
AFTER = [("files", "0008_file_checksums_and_mtime")]


def test_it_digests_the_stored_files_and_keeps_the_usage_triggers(alice: User) -> None:
    content = b"stored before 0008" * 1000
    executor = migrate_to(BEFORE)
    try:
        File = executor.loader.project_state(BEFORE).apps.get_model("files", "UploadedFile")
        uploaded = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

        def plant(name: str, data: bytes | None) -> uuid.UUID:
            pk = uuid.uuid4()
            key = f"u/{alice.pk}/{pk}"
            if data is not None:
                path = Path(settings.MEDIA_ROOT) / key
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_bytes(data)
            File.objects.create(
                id=pk,
                owner_id=alice.pk,
                file=key,
                name=name,
                size=len(data or b""),
                content_type="application/octet-stream",
                sha256=hashlib.sha256(data or b"").hexdigest(),
            )
            File.objects.filter(pk=pk).update(created=uploaded)
            return pk

        present = plant("present.bin", content)
        missing = plant("missing.bin", None)  # its object is gone: nothing to read
        migrate_to(AFTER)
    finally:
        migrate_to(executor.loader.graph.leaf_nodes())

    from files.models import StorageUsage, UploadedFile

    done = UploadedFile.objects.get(pk=present)
    assert done.sha1 == hashlib.sha1(content, usedforsecurity=False).hexdigest()
    assert done.crc32 == zlib.crc32(content)
    assert done.modified == uploaded
    gone = UploadedFile.objects.get(pk=missing)
    assert (gone.sha1, gone.crc32, gone.modified) == ("", None, uploaded)

    # SQLite rebuilt the table for the new columns: the triggers must be back.
    before = StorageUsage.objects.get(owner=alice).used
    UploadedFile.objects.filter(pk=present).delete()
    assert StorageUsage.objects.get(owner=alice).used == before - len(content)
