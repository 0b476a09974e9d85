"""The trash: deleting hides at once, restoring puts back, purging frees the bytes and the quota."""

from __future__ import annotations

from datetime import timedelta
from io import StringIO

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from django_tasks import default_task_backend
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from files.history import tasks, trash
from files.models import Folder, Share, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.test_fsck import fsck
from files.tests.utils import stored_path, stored_paths
from files.uploads import intake, quota


def test_a_trashed_file_leaves_its_folder_and_everyone_who_could_see_it(
    alice: User, bob: User, bob_client: Client, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    grants.share(shared, bob)
    doc = make_file(alice, "doc.txt", b"text", folder=shared)
    _, token = grants.create_link(doc)
    assert bob_client.get(f"/files/{doc.pk}/").status_code == 200

    trash.trash_file(doc, by=alice)

    assert bob_client.get(f"/files/{doc.pk}/").status_code == 404
    assert bob_client.get(f"/files/{doc.pk}/download/").status_code == 404
    assert "doc.txt" not in bob_client.get(f"/files/folders/{shared.pk}/").content.decode()
    assert Client().get(f"/s/{token}/").status_code == 404
    doc.refresh_from_db()
    assert (doc.folder, doc.trashed_from, doc.trashed_place) == (None, shared, "Shared")
    assert stored_path(doc.file.name).read_bytes() == b"text"  # bytes stay until purged


def test_a_trashed_folder_hides_its_tree_its_shares_and_its_links(
    alice: User, bob: User, bob_client: Client, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Holiday")
    inner = make_folder(alice, "Inner", parent=shared)
    deep = make_file(alice, "deep.txt", folder=inner)
    grants.share(shared, bob)
    _, token = grants.create_link(shared)

    trash.trash_folder(shared, by=alice)

    assert bob_client.get(f"/files/folders/{inner.pk}/").status_code == 404
    assert bob_client.get(f"/files/{deep.pk}/").status_code == 404
    assert "Holiday" not in bob_client.get("/files/shared/").content.decode()
    assert Client().get(f"/s/{token}/").status_code == 404
    inner.refresh_from_db()
    assert inner.path == f"/{shared.pk}/{inner.pk}/" and inner.trashed_at is not None


def test_the_trash_lists_name_place_size_and_time_for_the_owner_only(
    alice: User,
    alice_client: Client,
    bob_client: Client,
    make_file: MakeFile,
    make_folder: MakeFolder,
) -> None:
    projects = make_folder(alice, "Projects")
    trash.trash_file(make_file(alice, "plan.txt", b"x" * 2048, folder=projects), by=alice)
    old = make_folder(alice, "Old")
    make_file(alice, "in-old.bin", b"y" * 3000, folder=old)
    trash.trash_folder(old, by=alice)

    page = alice_client.get("/files/trash/").content.decode()
    assert "plan.txt" in page and "Projects" in page and "2.0\xa0KB" in page
    assert "Old" in page and "2.9\xa0KB" in page  # a folder's size is what was below it
    assert "in-old.bin" not in page  # inside its folder's entry
    assert "plan.txt" not in bob_client.get("/files/trash/").content.decode()
    assert "plan.txt" not in alice_client.get("/files/").content.decode()


def test_restoring_puts_a_file_back_under_its_name(
    alice: User, alice_client: Client, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    projects = make_folder(alice, "Projects")
    doc = make_file(alice, "doc.txt", folder=projects)
    trash.trash_file(doc, by=alice)
    response = alice_client.post(f"/files/{doc.pk}/restore/", follow=True)
    assert "Restored doc.txt to “Projects”." in response.content.decode()
    doc.refresh_from_db()
    assert (doc.folder, doc.name, doc.trashed_at, doc.trashed_place) == (
        projects,
        "doc.txt",
        None,
        "",
    )


def test_restoring_numbers_a_name_taken_since(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    doc = make_file(alice, "doc.txt", b"old")
    trash.trash_file(doc, by=alice)
    make_file(alice, "doc.txt", b"new")  # the name is free while the old one is in the trash
    restored = trash.restore(doc)
    assert (restored.item.name, restored.renamed, restored.place) == ("doc (1).txt", True, None)


def test_restoring_goes_to_the_top_level_when_the_place_is_gone(
    alice: User, alice_client: Client, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    projects = make_folder(alice, "Projects")
    doc = make_file(alice, "doc.txt", folder=projects)
    trash.trash_file(doc, by=alice)
    trash.trash_folder(projects, by=alice)
    trash.purge(projects)
    assert UploadedFile.objects.filter(pk=doc.pk).exists()  # its own entry, not its folder's
    response = alice_client.post(f"/files/{doc.pk}/restore/", follow=True)
    assert "Restored doc.txt to the top level: its folder is no longer there." in (
        response.content.decode()
    )
    doc.refresh_from_db()
    assert doc.folder is None and doc.trashed_at is None


def test_restoring_into_a_folder_that_is_itself_in_the_trash_goes_to_the_top_level(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    projects = make_folder(alice, "Projects")
    doc = make_file(alice, "doc.txt", folder=projects)
    trash.trash_file(doc, by=alice)
    trash.trash_folder(projects, by=alice)
    restored = trash.restore(doc)
    assert (restored.place, restored.place_gone) == (None, True)


def test_restoring_a_folder_restores_its_tree(
    alice: User, alice_client: Client, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    top = make_folder(alice, "Top")
    photos = make_folder(alice, "Photos", parent=top)
    summer = make_folder(alice, "Summer", parent=photos)
    beach = make_file(alice, "beach.jpg", folder=summer)
    trash.trash_folder(photos, by=alice)
    assert alice_client.post(f"/files/folders/{photos.pk}/restore/").status_code == 302
    for item in (photos, summer, beach):
        item.refresh_from_db()
        assert item.trashed_at is None
    assert (photos.parent, photos.path) == (top, f"/{top.pk}/{photos.pk}/")
    assert summer.path == f"/{top.pk}/{photos.pk}/{summer.pk}/"
    assert alice_client.get(f"/files/{beach.pk}/download/").status_code == 200


def test_restore_and_delete_forever_answer_404_for_a_live_item(
    alice_client: Client, alice: User, make_file: MakeFile
) -> None:
    doc = make_file(alice)
    assert alice_client.post(f"/files/{doc.pk}/restore/").status_code == 404
    assert alice_client.post(f"/files/{doc.pk}/purge/").status_code == 404
    assert alice_client.get(f"/files/{doc.pk}/purge/").status_code == 405


def test_emptying_the_trash_deletes_rows_then_bytes_after_commit(
    alice: User,
    alice_client: Client,
    make_file: MakeFile,
    make_folder: MakeFolder,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    kept = make_file(alice, "kept.txt")
    trash.trash_file(make_file(alice, "a.txt"), by=alice)
    old = make_folder(alice, "Old")
    make_file(alice, "b.txt", folder=old)
    trash.trash_folder(old, by=alice)
    with django_capture_on_commit_callbacks() as callbacks:
        assert alice_client.post("/files/trash/empty/").status_code == 302
    assert list(UploadedFile.objects.all()) == [kept]
    assert not Folder.objects.exists()
    assert len(stored_paths()) == 3  # not yet
    for callback in callbacks:
        callback()
    assert stored_paths() == [stored_path(kept.file.name)]
    assert alice.storage_used() == kept.size


def test_an_editor_deletes_inside_a_share_into_the_owners_trash(
    alice: User,
    bob: User,
    alice_client: Client,
    bob_client: Client,
    make_file: MakeFile,
    make_folder: MakeFolder,
) -> None:
    shared = make_folder(alice, "Shared")
    grants.share(shared, bob, Share.Role.EDITOR)
    doc = make_file(alice, "doc.txt", folder=shared)
    response = bob_client.post(f"/files/{doc.pk}/delete/", follow=True)
    assert "its owner can restore it from the trash" in response.content.decode()
    assert "doc.txt" not in bob_client.get("/files/trash/").content.decode()
    page = alice_client.get("/files/trash/").content.decode()
    assert "doc.txt" in page and "by bob" in page
    assert bob_client.post(f"/files/folders/{shared.pk}/delete/").status_code == 404
    trash.restore(doc)
    assert bob_client.get(f"/files/{doc.pk}/").status_code == 200


def test_a_trashed_name_is_free_again_at_the_top_level(alice: User, make_file: MakeFile) -> None:
    trash.trash_file(make_file(alice, "doc.txt"), by=alice)
    assert make_file(alice, "doc.txt").name == "doc.txt"


def test_the_trash_counts_against_the_quota_and_shows_apart(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    alice.quota = 1000
    alice.save()
    make_file(alice, "live.bin", b"x" * 100)
    trash.trash_file(make_file(alice, "gone.bin", b"y" * 300), by=alice)
    usage = quota.usage(alice)
    assert (usage.used, usage.trash, usage.versions) == (400, 300, 0)
    assert "300\xa0bytes in the trash" in alice_client.get("/files/").content.decode()


def test_an_upload_that_does_not_fit_purges_the_oldest_trash_first(
    alice: User, make_file: MakeFile
) -> None:
    alice.quota = 100
    alice.save()
    older = make_file(alice, "older.bin", b"o" * 40)
    newer = make_file(alice, "newer.bin", b"n" * 40)
    trash.trash_file(older, by=alice)
    trash.trash_file(newer, by=alice)
    make_file(alice, "big.bin", b"b" * 50)  # 80 used: 30 more than fits, one entry goes
    assert not UploadedFile.objects.filter(pk=older.pk).exists()
    assert UploadedFile.objects.filter(pk=newer.pk).exists()
    assert alice.storage_used() == 90


def test_an_upload_refused_even_after_purging_purges_nothing(
    alice: User, make_file: MakeFile
) -> None:
    alice.quota = 100
    alice.save()
    make_file(alice, "live.bin", b"l" * 60)
    gone = make_file(alice, "gone.bin", b"g" * 30)
    trash.trash_file(gone, by=alice)
    with pytest.raises(intake.ValidationError) as error:
        make_file(alice, "big.bin", b"b" * 50)
    assert error.value.code == "over_quota"
    assert UploadedFile.objects.filter(pk=gone.pk).exists()  # rolled back with the upload


def test_the_form_counts_the_trash_as_room_without_purging(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    alice.quota = 100
    alice.save()
    gone = make_file(alice, "gone.bin", b"g" * 80)
    trash.trash_file(gone, by=alice)
    upload = SimpleUploadedFile("new.bin", b"n" * 50)
    response = alice_client.post("/files/upload/", {"file": upload})
    assert response.status_code == 302
    assert not UploadedFile.objects.filter(pk=gone.pk).exists()
    assert alice.storage_used() == 50


def test_expired_trash_is_purged_whole_and_the_rest_kept(
    alice: User, bob: User, make_file: MakeFile, make_folder: MakeFolder, settings: object
) -> None:
    settings.PORTAL_TRASH_DAYS = 30
    old = make_folder(alice, "Old")
    inside = make_file(alice, "inside.txt", folder=old)
    trash.trash_folder(old, by=alice)
    recent = trash.trash_file(make_file(bob, "recent.txt"), by=bob)
    later = timezone.now() + timedelta(days=30, minutes=1)
    Folder.objects.filter(pk=old.pk).update(trashed_at=timezone.now() - timedelta(days=31))
    UploadedFile.objects.filter(pk=inside.pk).update(trashed_at=timezone.now() - timedelta(days=31))
    assert tasks.purge_expired() == 2
    assert not Folder.objects.exists()
    assert list(UploadedFile.objects.all()) == [recent]
    assert tasks.purge_expired(now=later) == 1


def test_trashing_queues_the_expiry_for_when_it_is_due(
    alice: User,
    make_file: MakeFile,
    settings: object,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    dummy = {"default": {"BACKEND": "django_tasks.backends.dummy.DummyBackend"}}
    settings.TASKS = dummy
    doc = make_file(alice)
    with django_capture_on_commit_callbacks(execute=True):
        trash.trash_file(doc, by=alice)
    [queued] = default_task_backend.results
    assert queued.task.func is tasks.purge_expired_trash.func
    assert doc.trashed_at is not None
    assert queued.task.run_after == doc.trashed_at + timedelta(days=30, minutes=1)


def test_fsck_checks_trashed_bytes_until_they_are_purged(alice: User, make_file: MakeFile) -> None:
    doc = make_file(alice, "doc.txt")
    trash.trash_file(doc, by=alice)
    assert fsck()[0] == 0
    stored_path(doc.file.name).unlink()
    status, out = fsck()
    assert status != 0
    assert "(in the trash)" in out


def test_the_command_purges_what_expired(alice: User, make_file: MakeFile) -> None:
    old = trash.trash_file(make_file(alice, "old.txt"), by=alice)
    UploadedFile.objects.filter(pk=old.pk).update(trashed_at=timezone.now() - timedelta(days=31))
    out = StringIO()
    call_command("portal_purge_trash", stdout=out)
    assert "Deleted 1 file(s) and folder(s) trashed over 30 days ago." in out.getvalue()
    assert not UploadedFile.objects.exists()


def test_the_public_link_surface_leaves_out_whatever_is_trashed(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    sub = make_folder(alice, "Sub", parent=shared)
    doc = make_file(alice, "doc.txt", folder=shared)
    _, token = grants.create_link(shared)
    _, drop = grants.create_link(shared, kind="drop")
    visitor = Client()
    assert visitor.get(f"/s/{token}/download/{doc.pk}/").status_code == 200
    trash.trash_file(doc, by=alice)
    trash.trash_folder(sub, by=alice)
    assert visitor.get(f"/s/{token}/download/{doc.pk}/").status_code == 404
    assert visitor.get(f"/s/{token}/f/{sub.pk}/").status_code == 404
    page = visitor.get(f"/s/{token}/").content.decode()
    assert "doc.txt" not in page and "Sub" not in page
    trash.trash_folder(shared, by=alice)
    assert visitor.get(f"/s/{token}/").status_code == 404
    dropped = {"file": SimpleUploadedFile("x.txt", b"x")}
    assert visitor.post(f"/s/{drop}/drop/", dropped).status_code == 404
    trash.restore(shared)
    assert visitor.get(f"/s/{token}/").status_code == 200  # the link opens again


def test_an_editor_is_offered_delete_inside_the_share_only(
    alice: User, bob: User, bob_client: Client, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    inner = make_folder(alice, "Inner", parent=shared)
    doc = make_file(alice, "doc.txt", folder=shared)
    grants.share(shared, bob, Share.Role.EDITOR)
    delete_inner = f"/files/folders/{inner.pk}/delete/"
    delete_shared = f"/files/folders/{shared.pk}/delete/"
    assert delete_inner in bob_client.get(f"/files/folders/{inner.pk}/").content.decode()
    assert delete_shared not in bob_client.get(f"/files/folders/{shared.pk}/").content.decode()
    assert f"/files/{doc.pk}/delete/" in bob_client.get(f"/files/{doc.pk}/").content.decode()
