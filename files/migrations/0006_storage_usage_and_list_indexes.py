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
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

SQLITE = [
    """CREATE TRIGGER files_usage_insert AFTER INSERT ON files_uploadedfile BEGIN
        INSERT INTO files_storageusage (owner_id, used) VALUES (NEW.owner_id, NEW.size)
        ON CONFLICT (owner_id) DO UPDATE SET used = used + excluded.used;
    END""",
    """CREATE TRIGGER files_usage_delete AFTER DELETE ON files_uploadedfile BEGIN
        UPDATE files_storageusage SET used = used - OLD.size WHERE owner_id = OLD.owner_id;
    END""",
    """CREATE TRIGGER files_usage_update AFTER UPDATE OF owner_id, size ON files_uploadedfile
    WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.size IS NOT NEW.size BEGIN
        UPDATE files_storageusage SET used = used - OLD.size WHERE owner_id = OLD.owner_id;
        INSERT INTO files_storageusage (owner_id, used) VALUES (NEW.owner_id, NEW.size)
        ON CONFLICT (owner_id) DO UPDATE SET used = used + excluded.used;
    END""",
]
SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS files_usage_insert",
    "DROP TRIGGER IF EXISTS files_usage_delete",
    "DROP TRIGGER IF EXISTS files_usage_update",
]
POSTGRESQL = [
    """CREATE OR REPLACE FUNCTION files_usage_add() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        INSERT INTO files_storageusage (owner_id, used)
        SELECT owner_id, SUM(size) FROM added GROUP BY owner_id
        ON CONFLICT (owner_id) DO UPDATE SET used = files_storageusage.used + EXCLUDED.used;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION files_usage_remove() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE files_storageusage SET used = files_storageusage.used - freed.bytes
        FROM (SELECT owner_id, SUM(size) AS bytes FROM gone GROUP BY owner_id) AS freed
        WHERE files_storageusage.owner_id = freed.owner_id;
        RETURN NULL;
    END $$""",
    """CREATE OR REPLACE FUNCTION files_usage_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        UPDATE files_storageusage SET used = files_storageusage.used - OLD.size
        WHERE owner_id = OLD.owner_id;
        INSERT INTO files_storageusage (owner_id, used) VALUES (NEW.owner_id, NEW.size)
        ON CONFLICT (owner_id) DO UPDATE SET used = files_storageusage.used + EXCLUDED.used;
        RETURN NULL;
    END $$""",
    """CREATE TRIGGER files_usage_insert AFTER INSERT ON files_uploadedfile
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION files_usage_add()""",
    """CREATE TRIGGER files_usage_delete AFTER DELETE ON files_uploadedfile
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION files_usage_remove()""",
    """CREATE TRIGGER files_usage_update AFTER UPDATE OF owner_id, size ON files_uploadedfile
    FOR EACH ROW
    WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.size IS DISTINCT FROM NEW.size)
    EXECUTE FUNCTION files_usage_change()""",
]
POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS files_usage_insert ON files_uploadedfile",
    "DROP TRIGGER IF EXISTS files_usage_delete ON files_uploadedfile",
    "DROP TRIGGER IF EXISTS files_usage_update ON files_uploadedfile",
    "DROP FUNCTION IF EXISTS files_usage_add(), files_usage_remove(), files_usage_change()",
]
COUNT_EXISTING = """INSERT INTO files_storageusage (owner_id, used)
    SELECT owner_id, SUM(size) FROM files_uploadedfile GROUP BY owner_id"""


def create_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no storage usage triggers for {vendor}")
    for statement in SQLITE if vendor == "sqlite" else POSTGRESQL:
        schema_editor.execute(statement, params=None)
    schema_editor.execute(COUNT_EXISTING, params=None)


def drop_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    for statement in SQLITE_DROP if vendor == "sqlite" else POSTGRESQL_DROP:
        schema_editor.execute(statement, params=None)


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
