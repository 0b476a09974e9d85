"""Versions: an upload that replaces keeps the previous bytes; they list, download and restore."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from files.history import trash, versions
from files.integrity import recount
from files.models import FileVersion, Share, StorageUsage, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.test_fsck import fsck
from files.tests.utils import body, stored_path, stored_paths
from files.uploads import intake, quota

pytestmark = pytest.mark.django_db(transaction=True)  # bytes go after a real commit


def upload(client: Client, content: bytes, *, json: bool = False, **fields: str) -> Any:
    data = {"file": SimpleUploadedFile("report.txt", content), **fields}
    if json:
        return client.post("/files/upload/", data, headers={"accept": "application/json"})
    return client.post("/files/upload/", data)


def test_the_json_upload_keeps_both_by_default(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "report.txt", b"first")
    response = upload(alice_client, b"second", json=True)
    assert response.status_code == 201
    assert response.json()["files"][0]["name"] == "report (1).txt"
    assert response.json()["files"][0]["replaced"] is False
    assert not FileVersion.objects.exists()


def test_replace_keeps_the_id_shares_and_links_and_the_old_bytes_as_a_version(
    alice: User, bob: User, alice_client: Client, make_file: MakeFile
) -> None:
    original = make_file(alice, "report.txt", b"first")
    grants.share(original, bob)
    _, token = grants.create_link(original)
    response = upload(alice_client, b"second", json=True, on_conflict="replace")
    assert response.status_code == 201
    described = response.json()["files"][0]
    assert (described["id"], described["name"]) == (str(original.pk), "report.txt")
    assert described["replaced"] is True
    [version] = original.versions.all()
    assert stored_path(version.stored.name).read_bytes() == b"first"
    assert version.uploaded_by is None  # make_file sends no uploader
    assert Share.objects.get(file=original).recipient == bob
    link_download = Client().get(f"/s/{token}/download/{original.pk}/")
    assert body(link_download) == b"second"  # links serve the current bytes
    assert StorageUsage.objects.get(owner=alice).used == len(b"first") + len(b"second")


def test_the_form_offers_replace_and_keep_both(alice_client: Client, alice: User) -> None:
    page = alice_client.get("/files/upload/").content.decode()
    assert 'value="keep_both"' in page and 'value="replace"' in page
    assert "Replace it" in page and "Keep both" in page


def test_the_form_replaces_when_asked(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    original = make_file(alice, "report.txt", b"first")
    response = alice_client.post(
        "/files/upload/",
        {"file": SimpleUploadedFile("report.txt", b"second"), "on_conflict": "replace"},
        follow=True,
    )
    assert "Replaced report.txt: the previous one is kept as a version." in (
        response.content.decode()
    )
    original.refresh_from_db()
    assert original.size == len(b"second") and original.uploaded_by == alice
    assert list(UploadedFile.objects.values_list("name", flat=True)) == ["report.txt"]


def test_an_unknown_on_conflict_is_a_json_error(alice_client: Client) -> None:
    response = upload(alice_client, b"x", json=True, on_conflict="overwrite")
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("on_conflict", "invalid_choice")


def test_a_drop_link_never_replaces(
    alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    inbox = make_folder(alice, "Inbox")
    make_file(alice, "report.txt", b"mine", folder=inbox)
    _, token = grants.create_link(inbox, kind="drop")
    data = {"file": SimpleUploadedFile("report.txt", b"theirs"), "on_conflict": "replace"}
    assert Client().post(f"/s/{token}/drop/", data).status_code == 302
    assert sorted(inbox.files.values_list("name", flat=True)) == ["report (1).txt", "report.txt"]
    assert not FileVersion.objects.exists()


def test_the_file_page_lists_versions_and_each_downloads_with_the_files_headers(
    alice: User, alice_client: Client, bob_client: Client, charlie_client: Client,
    make_file: MakeFile, bob: User,
) -> None:  # fmt: skip
    original = make_file(alice, "report.txt", b"first")
    grants.share(original, bob)
    intake.replace_file(original, SimpleUploadedFile("x", b"second"), by=alice)
    [version] = original.versions.all()
    page = alice_client.get(f"/files/{original.pk}/").content.decode()
    assert f"/files/{original.pk}/versions/{version.pk}/download/" in page
    assert "(current)" in page and "alice" in page
    response = bob_client.get(f"/files/{original.pk}/versions/{version.pk}/download/")
    assert response.status_code == 200
    assert body(response) == b"first"
    assert response["Content-Disposition"] == 'attachment; filename="report.txt"'
    assert response["X-Content-Type-Options"] == "nosniff"
    # In the file's download trail, as bob's.
    assert list(original.download_events.values_list("user__username", flat=True)) == ["bob"]
    assert (
        charlie_client.get(f"/files/{original.pk}/versions/{version.pk}/download/").status_code
        == 404
    )
    other = make_file(alice, "other.txt")
    wrong_file = f"/files/{other.pk}/versions/{version.pk}/download/"
    assert alice_client.get(wrong_file).status_code == 404


def test_restoring_a_version_swaps_it_with_the_current_bytes(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    original = make_file(alice, "report.txt", b"first")
    intake.replace_file(original, SimpleUploadedFile("x", b"second!"), by=alice)
    [version] = original.versions.all()
    before = StorageUsage.objects.get(owner=alice).used
    response = alice_client.post(f"/files/{original.pk}/versions/{version.pk}/restore/")
    assert response.status_code == 302
    original.refresh_from_db()
    assert body(alice_client.get(f"/files/{original.pk}/download/")) == b"first"
    [now_version] = original.versions.all()
    assert stored_path(now_version.stored.name).read_bytes() == b"second!"
    assert now_version.size == len(b"second!")
    assert StorageUsage.objects.get(owner=alice).used == before
    assert len(stored_paths()) == 2


def test_at_most_max_versions_are_kept_oldest_dropped_with_their_bytes(
    alice: User, make_file: MakeFile, settings: object
) -> None:
    settings.PORTAL_MAX_VERSIONS = 2
    original = make_file(alice, "report.txt", b"v0")
    for number in range(1, 5):
        intake.replace_file(original, SimpleUploadedFile("x", f"v{number}".encode()))
    kept = [stored_path(v.stored.name).read_bytes() for v in original.versions.all()]
    assert kept == [b"v3", b"v2"]
    assert len(stored_paths()) == 3
    assert StorageUsage.objects.get(owner=alice).used == 3 * 2


def test_versions_count_against_the_quota_and_go_after_the_trash_to_make_room(
    alice: User, make_file: MakeFile
) -> None:
    alice.quota = 100
    alice.save()
    original = make_file(alice, "report.txt", b"a" * 30)
    intake.replace_file(original, SimpleUploadedFile("x", b"b" * 30))  # 30 in a version
    gone = trash.trash_file(make_file(alice, "gone.bin", b"g" * 20), by=alice)
    usage = quota.usage(alice)
    assert (usage.used, usage.trash, usage.versions) == (80, 20, 30)
    make_file(alice, "new.bin", b"n" * 50)  # 30 too many: the trash (20), then the version
    assert not UploadedFile.objects.filter(pk=gone.pk).exists()
    assert not FileVersion.objects.exists()
    assert alice.storage_used() == 80


def test_deleting_a_file_forever_deletes_its_versions_bytes(
    alice: User, make_file: MakeFile
) -> None:
    original = make_file(alice, "report.txt", b"first")
    intake.replace_file(original, SimpleUploadedFile("x", b"second"))
    trash.trash_file(original, by=alice)
    assert len(stored_paths()) == 2  # the trash keeps versions too
    trash.purge(original)
    assert stored_paths() == []
    assert StorageUsage.objects.get(owner=alice).used == 0


def test_restore_runs_under_the_lock_and_refuses_a_stale_version(
    alice: User, make_file: MakeFile
) -> None:
    original = make_file(alice, "report.txt", b"first")
    intake.replace_file(original, SimpleUploadedFile("x", b"second"))
    [version] = original.versions.all()
    version.delete()
    with pytest.raises(FileVersion.DoesNotExist):
        versions.restore(version)


def test_an_editor_restores_a_version_a_viewer_cannot(
    alice: User, bob: User, charlie: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    grants.share(shared, bob, Share.Role.EDITOR)
    grants.share(shared, charlie)
    original = make_file(alice, "report.txt", b"first", folder=shared)
    intake.replace_file(original, SimpleUploadedFile("x", b"second"))
    [version] = original.versions.all()
    url = f"/files/{original.pk}/versions/{version.pk}/restore/"
    viewer, editor = Client(), Client()
    viewer.force_login(charlie)
    editor.force_login(bob)
    assert viewer.post(url).status_code == 404
    assert editor.post(url).status_code == 302
    original.refresh_from_db()
    assert original.size == len(b"first")


def test_the_quota_books_count_versions(alice: User, make_file: MakeFile) -> None:
    original = make_file(alice, "report.txt", b"first")
    intake.replace_file(original, SimpleUploadedFile("x", b"second"))
    assert recount.recompute() == []  # recorded, stored and charged agree
    StorageUsage.objects.filter(owner=alice).update(used=0)
    recount.recount(alice.pk)
    assert alice.storage_used() == len(b"first") + len(b"second")


def test_fsck_knows_versions_bytes_and_names_a_missing_one(
    alice: User, make_file: MakeFile
) -> None:
    original = make_file(alice, "report.txt", b"first")
    intake.replace_file(original, SimpleUploadedFile("x", b"second"))
    assert fsck()[0] == 0  # the version's key is no orphan
    [version] = original.versions.all()
    stored_path(version.stored.name).unlink()
    status, out = fsck()
    assert status != 0
    assert f"{original.pk}, a version" in out
