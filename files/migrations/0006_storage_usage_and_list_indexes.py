"""StorageUsage, kept by triggers; the indexes the folder and search pages read.

Each user's total of `size` lives in files_storageusage, changed by triggers
in the same statement as the rows of files_uploadedfile, so no code path can
forget it (Django's cascades and bulk deletes, the admin, raw SQL). Deletes
and inserts add up per statement on PostgreSQL (transition tables: deleting a
folder of 10,000 files is one UPDATE), per row on SQLite, which has no
statement triggers; a change of owner or size (no view does one) per row on
both. The totals of the files already there are counted once, here.
"""

from __future__ import annotations

import django.db.models.deletion
import django.db.models.functions.text
from django.conf import settings
from django.db import migrations, models

from files.migrations._usage_triggers import create_triggers, drop_triggers

class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
        ("files", "0005_thumbnail"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.CreateModel(
            name="StorageUsage",
            fields=[
                (
                    "owner",
                    models.OneToOneField(
                        on_delete=django.db.models.deletion.CASCADE,
                        primary_key=True,
                        related_name="storage_usage",
                        serialize=False,
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                ("used", models.BigIntegerField(default=0)),
            ],
        ),
        migrations.RunPython(create_triggers, drop_triggers),
        migrations.RemoveIndex(
            model_name="uploadedfile",
            name="files_uploa_owner_i_9e9e04_idx",
        ),
        migrations.RemoveIndex(
            model_name="uploadedfile",
            name="files_uploa_owner_i_d1557f_idx",
        ),
        migrations.AddIndex(
            model_name="uploadedfile",
            index=models.Index(
                fields=["owner", "-created", "name"], name="files_owner_created_name"
            ),
        ),
        migrations.AddIndex(
            model_name="uploadedfile",
            index=models.Index(
                models.F("folder"),
                django.db.models.functions.text.Lower("name"),
                models.F("created"),
                name="files_folder_lower_name",
            ),
        ),
    ]
