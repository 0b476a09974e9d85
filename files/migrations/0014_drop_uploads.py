"""Resumable uploads through a drop link: no creator, the link and its visitor's session instead.

An anonymous visitor's upload belongs to the link session that created it
(`visitor`: a hash of a secret kept in that session) and names its link, whose
rules are checked again at completion; `dropped_by` is what the visitor typed,
written to the Drop row when the file is stored.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0013_privacy"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AlterField(
            model_name="resumableupload",
            name="creator",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.CASCADE,
                related_name="+",
                to=settings.AUTH_USER_MODEL,
            ),
        ),
        migrations.AddField(
            model_name="resumableupload",
            name="link",
            field=models.ForeignKey(
                blank=True,
                null=True,
                on_delete=django.db.models.deletion.SET_NULL,
                related_name="+",
                to="files.link",
            ),
        ),
        migrations.AddField(
            model_name="resumableupload",
            name="visitor",
            field=models.CharField(blank=True, max_length=64),
        ),
        migrations.AddField(
            model_name="resumableupload",
            name="dropped_by",
            field=models.CharField(blank=True, max_length=100),
        ),
    ]
