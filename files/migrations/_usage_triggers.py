"""The triggers that keep files_storageusage, for the migrations that create or restore them.

Not a migration (the leading underscore keeps Django's loader away): 0006
creates them, and every later migration that makes SQLite rebuild
files_uploadedfile (adding a NOT NULL column or one with a default does)
must call `recreate_on_sqlite` after it, since the rebuild drops them silently.
"""

from __future__ import annotations

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
# Versions' bytes count too (migration 0012): the same total, kept by triggers on
# files_fileversion, which has the owner_id and size columns the functions read.
# A rebuild of files_uploadedfile leaves these alone (a trigger belongs to its
# table); one of files_fileversion would drop them the same way.
VERSIONS_SQLITE = [
    """CREATE TRIGGER files_version_usage_insert AFTER INSERT ON files_fileversion BEGIN
        INSERT INTO files_storageusage (owner_id, used) VALUES (NEW.owner_id, NEW.size)
        ON CONFLICT (owner_id) DO UPDATE SET used = used + excluded.used;
    END""",
    """CREATE TRIGGER files_version_usage_delete AFTER DELETE ON files_fileversion BEGIN
        UPDATE files_storageusage SET used = used - OLD.size WHERE owner_id = OLD.owner_id;
    END""",
    """CREATE TRIGGER files_version_usage_update AFTER UPDATE OF owner_id, size
    ON files_fileversion
    WHEN OLD.owner_id IS NOT NEW.owner_id OR OLD.size IS NOT NEW.size BEGIN
        UPDATE files_storageusage SET used = used - OLD.size WHERE owner_id = OLD.owner_id;
        INSERT INTO files_storageusage (owner_id, used) VALUES (NEW.owner_id, NEW.size)
        ON CONFLICT (owner_id) DO UPDATE SET used = used + excluded.used;
    END""",
]
VERSIONS_SQLITE_DROP = [
    "DROP TRIGGER IF EXISTS files_version_usage_insert",
    "DROP TRIGGER IF EXISTS files_version_usage_delete",
    "DROP TRIGGER IF EXISTS files_version_usage_update",
]
VERSIONS_POSTGRESQL = [
    """CREATE TRIGGER files_version_usage_insert AFTER INSERT ON files_fileversion
    REFERENCING NEW TABLE AS added FOR EACH STATEMENT EXECUTE FUNCTION files_usage_add()""",
    """CREATE TRIGGER files_version_usage_delete AFTER DELETE ON files_fileversion
    REFERENCING OLD TABLE AS gone FOR EACH STATEMENT EXECUTE FUNCTION files_usage_remove()""",
    """CREATE TRIGGER files_version_usage_update AFTER UPDATE OF owner_id, size
    ON files_fileversion FOR EACH ROW
    WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id OR OLD.size IS DISTINCT FROM NEW.size)
    EXECUTE FUNCTION files_usage_change()""",
]
VERSIONS_POSTGRESQL_DROP = [
    "DROP TRIGGER IF EXISTS files_version_usage_insert ON files_fileversion",
    "DROP TRIGGER IF EXISTS files_version_usage_delete ON files_fileversion",
    "DROP TRIGGER IF EXISTS files_version_usage_update ON files_fileversion",
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


def recreate_on_sqlite(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Put back the triggers a rebuild of files_uploadedfile dropped (SQLite only).

    PostgreSQL alters the table in place and keeps them. The totals are still
    right: the rebuild copies the rows without firing anything.
    """
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in SQLITE_DROP + SQLITE:
        schema_editor.execute(statement, params=None)


def create_version_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    """Count versions' bytes into the same total (the table starts empty: nothing to add)."""
    vendor = schema_editor.connection.vendor
    if vendor not in ("sqlite", "postgresql"):
        raise NotImplementedError(f"no storage usage triggers for {vendor}")
    for statement in VERSIONS_SQLITE if vendor == "sqlite" else VERSIONS_POSTGRESQL:
        schema_editor.execute(statement, params=None)


def drop_version_triggers(apps: StateApps, schema_editor: BaseDatabaseSchemaEditor) -> None:
    vendor = schema_editor.connection.vendor
    for statement in VERSIONS_SQLITE_DROP if vendor == "sqlite" else VERSIONS_POSTGRESQL_DROP:
        schema_editor.execute(statement, params=None)


def recreate_version_triggers_on_sqlite(
    apps: StateApps, schema_editor: BaseDatabaseSchemaEditor
) -> None:
    """Put back the triggers a rebuild of files_fileversion dropped (SQLite only), as above."""
    if schema_editor.connection.vendor != "sqlite":
        return
    for statement in VERSIONS_SQLITE_DROP + VERSIONS_SQLITE:
        schema_editor.execute(statement, params=None)
