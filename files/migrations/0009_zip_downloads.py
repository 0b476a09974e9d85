"""The download trail learns folder ZIPs: which folder, and how many files the archive held.

Only files_downloadevent changes; files_uploadedfile and its storage-usage
triggers are untouched (nullable columns, no rebuild of that table).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0008_file_checksums_and_mtime"),
    ]

    operations = [
        migrations.AddField(
            model_name="downloadevent",
            name="files_in_zip",
            field=models.PositiveIntegerField(null=True),
        ),
        migrations.AddField(
            model_name="downloadevent",
            name="folder",
            field=models.ForeignKey(
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="files.folder",
            ),
        ),
    ]
