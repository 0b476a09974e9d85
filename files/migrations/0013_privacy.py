"""Privacy: a share keeps the name its owner typed for the recipient.

The sharing page showed the recipient's email beside the username, whatever
the owner had typed; it now shows `recipient_label` (shares made before it
show the username). Adding a nullable-free column with a default to
files_share does not touch files_uploadedfile, so the usage triggers stay.
"""

from __future__ import annotations

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0008_file_checksums_and_mtime"),
    ]

    operations = [
        migrations.AddField(
            model_name="share",
            name="recipient_label",
            field=models.CharField(blank=True, max_length=254),
        ),
    ]
