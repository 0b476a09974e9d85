"""Privacy: a share keeps the name its owner typed; a file keeps its virus-scan verdict.

The sharing page showed the recipient's email beside the username, whatever
the owner had typed; it now shows `recipient_label` (older shares show the
username). `scan_status` starts as "not_scanned" for the files already
stored, which is what they are (README "Virus scanning": run
`manage.py portal_scan --all` to have them checked once scanning is on).
Adding a column with a default makes SQLite rebuild files_uploadedfile,
which drops the storage-usage triggers: they are put back at the end.
"""

from __future__ import annotations

from django.db import migrations, models

from files.migrations._usage_triggers import recreate_on_sqlite


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0012_trash_and_versions"),
    ]

    operations = [
        migrations.AddField(
            model_name="share",
            name="recipient_label",
            field=models.CharField(blank=True, max_length=254),
        ),
        migrations.AddField(
            model_name="uploadedfile",
            name="scan_signature",
            field=models.CharField(blank=True, max_length=255),
        ),
        migrations.AddField(
            model_name="uploadedfile",
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
            model_name="uploadedfile",
            name="scanned",
            field=models.DateTimeField(blank=True, null=True),
        ),
        migrations.AddIndex(
            model_name="uploadedfile",
            index=models.Index(
                condition=models.Q(("scan_status", "pending")),
                fields=["created"],
                name="file_scan_pending",
            ),
        ),
        migrations.RunPython(recreate_on_sqlite, migrations.RunPython.noop),
    ]
