"""SHA-1 and CRC-32 beside the sha256, and the file's own modification time.

New uploads get both digests from the pass that computes the sha256
(files.uploads.handler.Digests); the files already stored are read once here
to fill them in (a missing object leaves them empty: `portal_fsck` names it).
`modified` starts as the upload time. Adding a column with a default makes
SQLite rebuild files_uploadedfile, which drops the storage-usage triggers:
they are put back at the end.
"""

from __future__ import annotations

import hashlib
import zlib

import django.utils.timezone
from django.db import migrations, models
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps
from django.db.models import F

from files.migrations._usage_triggers import recreate_on_sqlite

CHUNK = 1024 * 1024


def fill_in(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    UploadedFile = apps.get_model("files", "UploadedFile")
    UploadedFile.objects.update(modified=F("created"))
    for stored in UploadedFile.objects.only("pk", "file").iterator(chunk_size=500):
        storage, key = stored.file.storage, stored.file.name
        if not storage.exists(key):
            continue
        sha1, crc32 = hashlib.sha1(usedforsecurity=False), 0
        with storage.open(key, "rb") as source:
            while chunk := source.read(CHUNK):
                sha1.update(chunk)
                crc32 = zlib.crc32(chunk, crc32)
        UploadedFile.objects.filter(pk=stored.pk).update(sha1=sha1.hexdigest(), crc32=crc32)


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0007_file_names_unique"),
    ]

    operations = [
        migrations.AddField(
            model_name="uploadedfile",
            name="crc32",
            field=models.BigIntegerField(blank=True, null=True),
        ),
        migrations.AddField(
            model_name="uploadedfile",
            name="modified",
            field=models.DateTimeField(default=django.utils.timezone.now),
        ),
        migrations.AddField(
            model_name="uploadedfile",
            name="sha1",
            field=models.CharField(blank=True, max_length=40),
        ),
        migrations.RunPython(fill_in, migrations.RunPython.noop),
        migrations.RunPython(recreate_on_sqlite, migrations.RunPython.noop),
    ]
