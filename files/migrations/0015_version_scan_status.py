"""A version keeps the virus-scan verdict of its bytes, so it is withheld like a current file.

Versions stored before this are "not scanned", as 0013 made the files of its
time (README "Virus scanning": `manage.py portal_scan --all` checks them
too). Adding a column with a default makes SQLite rebuild files_fileversion,
which drops its storage-usage triggers: they are put back at the end.
"""

from __future__ import annotations

from django.db import migrations, models

from files.migrations._usage_triggers import recreate_version_triggers_on_sqlite


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0014_drop_uploads"),
    ]

    operations = [
        migrations.AddField(
            model_name="fileversion",
            name="scan_signature",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="fileversion",
            name="scan_status",
            field=models.CharField(
                choices=[
                    ("not_scanned", "not scanned"),
                    ("pending", "being checked"),
                    ("clean", "clean"),
                    ("infected", "quarantined"),
                    ("too_large", "too large to scan"),
                ],
                default="not_scanned",
                max_length=12,
            ),
        ),
        migrations.AddField(
            model_name="fileversion",
            name="scanned",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="fileversion",
            index=models.Index(
                condition=models.Q(("scan_status", "pending")),
                fields=["replaced"],
                name="version_scan_pending",
            ),
        ),
        migrations.RunPython(recreate_version_triggers_on_sqlite, migrations.RunPython.noop),
    ]
