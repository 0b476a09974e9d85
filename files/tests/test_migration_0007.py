"""0007 numbers the duplicate names an older database holds, then adds the constraints."""

from __future__ import annotations

import datetime
import uuid

import pytest

from accounts.models import User
from files.tests.utils import migrate_to

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [("files", "0006_storage_usage_and_list_indexes")]
AFTER = [("files", "0007_file_names_unique")]


def test_it_numbers_the_later_duplicates_and_keeps_the_oldest(alice: User, bob: User) -> None:
    executor = migrate_to(BEFORE)
    try:
        apps = executor.loader.project_state(BEFORE).apps
        File = apps.get_model("files", "UploadedFile")
        Folder = apps.get_model("files", "Folder")
        folder_id = uuid.uuid4()
        docs = Folder.objects.create(
            id=folder_id, owner_id=alice.pk, name="Docs", path=f"/{folder_id}/"
        )
        Folder.objects.create(id=uuid.uuid4(), owner_id=alice.pk, name="notes (2).txt", path="/x/")
        start = datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC)

        def plant(name: str, minutes: int, owner: User = alice, folder: object = None) -> uuid.UUID:
            pk = uuid.uuid4()
            File.objects.create(
                id=pk,
                owner_id=owner.pk,
                folder=folder,
                file=f"u/{owner.pk}/{pk}",
                name=name,
                size=1,
                content_type="text/plain",
                sha256="0" * 64,
            )
            # auto_now_add: set the upload order afterwards.
            File.objects.filter(pk=pk).update(created=start + datetime.timedelta(minutes=minutes))
            return pk

        oldest = plant("notes.txt", 1)
        second = plant("NOTES.txt", 2)
        third = plant("notes.txt", 3)  # "notes (2).txt" is a folder's: skipped
        taken_copy = plant("notes (1).txt", 0)  # already there, keeps its name
        bobs = plant("notes.txt", 4, owner=bob)  # another owner's top level
        in_docs = [plant("a.tar.gz", m, folder=docs) for m in (5, 6)]
        migrate_to(AFTER)
    finally:
        migrate_to(executor.loader.graph.leaf_nodes())

    from files.models import UploadedFile

    names = dict(UploadedFile.objects.values_list("pk", "name"))
    assert names[oldest] == "notes.txt"
    assert names[taken_copy] == "notes (1).txt"
    assert names[second] == "NOTES (3).txt"
    assert names[third] == "notes (4).txt"
    assert names[bobs] == "notes.txt"
    assert [names[pk] for pk in in_docs] == ["a.tar.gz", "a (1).tar.gz"]
