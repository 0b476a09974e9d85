"""StorageUsage: the per-user total that triggers keep equal to the sum of the rows' sizes.

Tried through every way bytes come and go, including those that skip Django's
signals (bulk_create, a queryset delete, raw SQL), since quotas and every
page's bar read the total instead of summing.
"""

from __future__ import annotations

import uuid
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.db import connection
from django.db.models import Sum
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from files.folders import tree
from files.models import Link, StorageUsage, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.uploads import quota


def rows_sum(user: User) -> int:
    return UploadedFile.objects.filter(owner=user).aggregate(s=Sum("size", default=0))["s"]


def test_it_is_zero_for_a_user_without_files(alice: User) -> None:
    assert alice.storage_used() == 0
    assert not StorageUsage.objects.exists()


def test_it_counts_uploads_per_owner(alice: User, bob: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin", b"x" * 50)
    make_file(alice, "b.bin", b"x" * 7)
    make_file(bob, "c.bin", b"x" * 3)
    assert (alice.storage_used(), bob.storage_used()) == (57, 3)


def test_a_delete_gives_the_bytes_back(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin", b"x" * 50)
    make_file(alice, "b.bin", b"x" * 7).delete()
    assert alice.storage_used() == 57 - 7


def test_deleting_a_folder_gives_back_everything_below_it(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    top = make_folder(alice, "Top")
    inner = make_folder(alice, "Inner", parent=top)
    make_file(alice, "a.bin", b"x" * 10, folder=top)
    make_file(alice, "b.bin", b"x" * 20, folder=inner)
    make_file(alice, "kept.bin", b"x" * 5)
    tree.delete_folder(top)
    assert alice.storage_used() == 5


def test_it_follows_bulk_paths_that_skip_signals(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin", b"x" * 10)
    UploadedFile.objects.bulk_create(
        [
            UploadedFile(owner=alice, file=f"u/{alice.pk}/{uuid.uuid4()}", name=f"{i}", size=100)
            for i in range(3)
        ]
    )
    assert alice.storage_used() == 310
    UploadedFile.objects.filter(owner=alice, size=100)._raw_delete(connection.alias)
    assert alice.storage_used() == 10


def test_a_change_of_size_or_owner_moves_the_bytes(
    alice: User, bob: User, make_file: MakeFile
) -> None:
    upload = make_file(alice, "a.bin", b"x" * 10)
    UploadedFile.objects.filter(pk=upload.pk).update(size=15)
    assert alice.storage_used() == 15
    UploadedFile.objects.filter(pk=upload.pk).update(owner=bob)
    assert (alice.storage_used(), bob.storage_used()) == (0, 15)


def test_moves_renames_and_thumbnails_leave_it_alone(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    upload = make_file(alice, "a.bin", b"x" * 10)
    tree.move_files(alice, [upload.pk], make_folder(alice))
    UploadedFile.objects.filter(pk=upload.pk).update(name="b.bin", thumbnail="t")
    assert alice.storage_used() == rows_sum(alice) == 10


def test_deleting_the_user_deletes_the_total(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin")
    alice.delete()
    assert not StorageUsage.objects.exists()


def test_the_bar_reads_it_in_one_query(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin", b"x" * 10)
    with CaptureQueriesContext(connection) as queries:
        assert quota.usage(alice).used == 10
    assert len(queries) == 1
    # The total is the triggers' row; only the trash, the versions and the few
    # unfinished uploads' reservations, parts the bar shows apart, are summed
    # (the trash by the owner's index), never the live files.
    sql = queries[0]["sql"].upper()
    assert sql.count("SUM(") == 3
    assert '"TRASHED_AT" IS NOT NULL' in sql


def test_a_link_drop_counts_against_the_folders_owner(
    alice: User, client: Client, make_folder: MakeFolder
) -> None:
    _, token = grants.create_link(make_folder(alice, "Inbox"), kind=Link.Kind.DROP)
    response = client.post(f"/s/{token}/drop/", {"file": SimpleUploadedFile("p.txt", b"the plan")})
    assert response.status_code == 302
    assert alice.storage_used() == 8


def test_portal_quota_reports_a_total_that_drifted(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin", b"x" * 50)
    StorageUsage.objects.filter(owner=alice).update(used=70)
    out = StringIO()
    with pytest.raises(CommandError, match="1 user\\(s\\) drift"):
        call_command("portal_quota", stdout=out)
    assert "alice: recorded 50 bytes" in out.getvalue()
    assert "quotas count 70 bytes" in out.getvalue()


def test_portal_fsck_repair_recounts_a_total_that_drifted(alice: User, make_file: MakeFile) -> None:
    make_file(alice, "a.bin", b"x" * 50)
    StorageUsage.objects.filter(owner=alice).delete()  # as after a restore without triggers
    out = StringIO()
    with pytest.raises(CommandError):
        call_command("portal_fsck", stdout=out)
    assert f"user {alice.pk} is charged 0 bytes and stores 50" in out.getvalue()

    call_command("portal_fsck", "--repair", stdout=StringIO())

    assert alice.storage_used() == 50
    call_command("portal_fsck", stdout=StringIO())  # clean again: no CommandError


def test_an_admin_bulk_delete_gives_the_bytes_back(
    alice: User, admin_client: Client, make_file: MakeFile
) -> None:
    gone = [make_file(alice, f"{i}.bin", b"x" * 10) for i in range(2)]
    make_file(alice, "kept.bin", b"x" * 3)
    response = admin_client.post(
        "/admin/files/uploadedfile/",
        {"action": "delete_selected", "_selected_action": [f.pk for f in gone], "post": "yes"},
    )
    assert response.status_code == 302
    assert alice.storage_used() == 3
