"""The audit row's file needs no index of its own: (file, -created) starts with it.

One page fewer written per permitted download (docs/performance.md, the click).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0015_version_scan_status"),
    ]

    operations = [
        migrations.AlterField(
            model_name="downloadevent",
            name="file",
            field=models.ForeignKey(
                db_index=False,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="download_events",
                to="files.uploadedfile",
            ),
        ),
    ]
