"""The audit row's indexes, for fewer pages written per download.

(file, -created) becomes (file, created): the same queries read it backwards,
and a file's new row is appended at the end of its run. The user, link and
folder indexes become partial (IS NOT NULL): a signed-in click writes neither
the link's nor the folder's (docs/performance.md, "The audit row's write").

The foreign keys' own indexes are dropped by name, not by AlterField: that
would copy the whole table on SQLite (once per field) and drop and re-check
the foreign key constraints on PostgreSQL, for what is one DROP INDEX. The
names are the ones Django gave them in 0004, the same on both databases.
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models


def fk_index(column: str, name: str) -> migrations.RunSQL:
    return migrations.RunSQL(
        f'DROP INDEX "{name}"',
        reverse_sql=f'CREATE INDEX "{name}" ON "files_downloadevent" ("{column}")',
    )


class Migration(migrations.Migration):
    dependencies = [
        ("files", "0016_downloadevent_file_index"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddIndex(
            model_name="downloadevent",
            index=models.Index(fields=["file", "created"], name="downloadevent_file_created"),
        ),
        migrations.RemoveIndex(
            model_name="downloadevent",
            name="files_downl_file_id_1d8aa9_idx",
        ),
        migrations.SeparateDatabaseAndState(
            database_operations=[
                fk_index("user_id", "files_downloadevent_user_id_c9d5f582"),
                fk_index("link_id", "files_downloadevent_link_id_3375b221"),
                fk_index("folder_id", "files_downloadevent_folder_id_b1c366f1"),
            ],
            state_operations=[
                migrations.AlterField(
                    model_name="downloadevent",
                    name="user",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
                migrations.AlterField(
                    model_name="downloadevent",
                    name="link",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="files.link",
                    ),
                ),
                migrations.AlterField(
                    model_name="downloadevent",
                    name="folder",
                    field=models.ForeignKey(
                        db_index=False,
                        null=True,
                        on_delete=django.db.models.deletion.SET_NULL,
                        related_name="+",
                        to="files.folder",
                    ),
                ),
            ],
        ),
        migrations.AddIndex(
            model_name="downloadevent",
            index=models.Index(
                condition=models.Q(("user__isnull", False)),
                fields=["user"],
                name="downloadevent_user",
            ),
        ),
        migrations.AddIndex(
            model_name="downloadevent",
            index=models.Index(
                condition=models.Q(("link__isnull", False)),
                fields=["link"],
                name="downloadevent_link",
            ),
        ),
        migrations.AddIndex(
            model_name="downloadevent",
            index=models.Index(
                condition=models.Q(("folder__isnull", False)),
                fields=["folder"],
                name="downloadevent_folder",
            ),
        ),
    ]
