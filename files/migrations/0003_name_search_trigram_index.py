"""On PostgreSQL, a trigram index for searching names (`name__icontains`).

Django spells icontains as UPPER(name::text) LIKE UPPER('%q%'), which no
b-tree can serve: over 100,000 files each search read the whole table twice
(count and page), about 0.3 s. A GIN index of pg_trgm trigrams on exactly
that expression answers it. pg_trgm is a trusted extension since
PostgreSQL 13: the database owner may create it, no superuser needed.
SQLite has no such index and scans, which at this size it does in time.
"""

from __future__ import annotations

from django.db import migrations
from django.db.backends.base.schema import BaseDatabaseSchemaEditor
from django.db.migrations.state import StateApps

INDEX = "files_uploadedfile_name_trgm"


def create_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor != "postgresql":
        return
    schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {INDEX} ON files_uploadedfile "
        "USING gin ((UPPER(name::text)) gin_trgm_ops)"
    )


def drop_index(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [("files", "0002_folders")]

    operations = [migrations.RunPython(create_index, drop_index)]
