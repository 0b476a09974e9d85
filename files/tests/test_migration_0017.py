"""0017 trims the audit row's indexes, forward and back, on both databases; rows stay.

The foreign keys' own indexes are dropped by name (RunSQL), so the names
Django gave them in 0004 must be the ones the database has.
"""

from __future__ import annotations

import pytest
from django.db import connection

from accounts.models import User
from files.tests.utils import migrate_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("files", "0016_downloadevent_file_index")]
AFTER = [("files", "0017_downloadevent_indexes")]

# name: (columns, orders, partial)
OLD = {
    "files_downloadevent_created_27d1dd36": (["created"], ["ASC"], False),
    "files_downloadevent_owner_id_69b67d19": (["owner_id"], ["ASC"], False),
    "files_downloadevent_user_id_c9d5f582": (["user_id"], ["ASC"], False),
    "files_downloadevent_link_id_3375b221": (["link_id"], ["ASC"], False),
    "files_downloadevent_folder_id_b1c366f1": (["folder_id"], ["ASC"], False),
    "files_downl_file_id_1d8aa9_idx": (["file_id", "created"], ["ASC", "DESC"], False),
}
NEW = {
    "files_downloadevent_created_27d1dd36": (["created"], ["ASC"], False),
    "files_downloadevent_owner_id_69b67d19": (["owner_id"], ["ASC"], False),
    "downloadevent_user": (["user_id"], ["ASC"], True),
    "downloadevent_link": (["link_id"], ["ASC"], True),
    "downloadevent_folder": (["folder_id"], ["ASC"], True),
    "downloadevent_file_created": (["file_id", "created"], ["ASC", "ASC"], False),
}


def indexes() -> dict[str, tuple[list[str], list[str], bool]]:
    """The audit table's indexes other than its primary key, as the database has them."""
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, "files_downloadevent")
        if connection.vendor == "postgresql":
            cursor.execute(
                "SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s",
                ["files_downloadevent"],
            )
        else:
            cursor.execute(
                "SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = %s",
                ["files_downloadevent"],
            )
        definitions = {name: sql or "" for name, sql in cursor.fetchall()}
    return {
        name: (info["columns"], info["orders"], " WHERE " in definitions[name].upper())
        for name, info in found.items()
        if info["index"] and not info["primary_key"]
    }


def test_the_indexes_change_both_ways_and_the_trail_stays(alice: User) -> None:
    executor = migrate_to(BEFORE)
    try:
        apps = executor.loader.project_state(BEFORE).apps
        Event = apps.get_model("files", "DownloadEvent")
        event = Event.objects.create(
            file_name="a.bin", owner_id=alice.pk, user_id=alice.pk, via="direct"
        )
        assert indexes() == OLD
        migrate_to(AFTER)
        assert indexes() == NEW
        migrate_to(BEFORE)
        assert indexes() == OLD
        migrate_to(AFTER)
    finally:
        migrate_to(executor.loader.graph.leaf_nodes())

    from files.models import DownloadEvent

    kept = DownloadEvent.objects.get(pk=event.pk)
    assert (kept.file_name, kept.owner, kept.user) == ("a.bin", alice, alice)
