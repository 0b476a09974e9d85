"""manage.py portal_fsck: each kind of damage planted, found, and repaired only where safe."""

from __future__ import annotations

import os
import time
import uuid
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from files.models import Folder, UploadedFile
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.utils import stored_path, stored_paths

HOUR = 3600


def fsck(*args: str) -> tuple[int, str]:
    """(exit status, what it printed), as a shell would see them."""
    out = StringIO()
    try:
        call_command("portal_fsck", *args, stdout=out, stderr=out)
    except CommandError as error:
        return 1, f"{out.getvalue()}{error}\n"
    return 0, out.getvalue()


def plant_orphan(owner: User, content: bytes = b"left behind", age: float = 2 * HOUR) -> str:
    """Bytes under a key no row points to, as a worker killed before its commit leaves them."""
    key = f"u/{owner.pk}/{uuid.uuid4()}"
    path = stored_path(key)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    then = time.time() - age
    os.utime(path, (then, then))
    return key


def test_it_is_clean_after_ordinary_uploads(alice: User, bob: User, make_file: MakeFile) -> None:
    make_file(alice, "a.txt", b"aaa")
    make_file(bob, "b.txt", b"")

    assert fsck() == (0, "2 rows, 2 stored objects: 0 problems, 0 repaired\n")


def test_it_is_clean_with_nothing_stored_at_all(db: None) -> None:
    assert fsck()[0] == 0


def test_it_reports_a_file_whose_bytes_are_gone(alice: User, make_file: MakeFile) -> None:
    upload = make_file(alice, "gone.txt", b"12345")
    stored_path(upload.file.name).unlink()

    status, output = fsck()

    assert status == 1
    assert f"missing  {upload.file.name}: file {upload.pk}: 5 bytes recorded" in output
    assert f"quota    u/{alice.pk}/: user {alice.pk} is charged 5 bytes and stores 0" in output


def test_it_keeps_a_missing_files_row_unless_told(alice: User, make_file: MakeFile) -> None:
    upload = make_file(alice, "gone.txt")
    stored_path(upload.file.name).unlink()

    assert fsck("--repair")[0] == 1
    assert UploadedFile.objects.filter(pk=upload.pk).exists()


def test_it_deletes_a_missing_files_row_when_told(
    alice: User,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    upload = make_file(alice, "gone.txt")
    stored_path(upload.file.name).unlink()

    with django_capture_on_commit_callbacks(execute=True):
        status, output = fsck("--repair", "--delete-missing")

    assert status == 0, output
    assert "(repaired)" in output
    assert not UploadedFile.objects.exists()
    assert fsck()[0] == 0


def test_it_wants_repair_for_delete_missing(db: None) -> None:
    with pytest.raises(CommandError, match="--delete-missing needs --repair"):
        call_command("portal_fsck", "--delete-missing")


def test_it_reports_an_orphan(alice: User) -> None:
    key = plant_orphan(alice, b"x" * 7)

    status, output = fsck()

    assert status == 1
    assert f"orphan   {key}: 7 bytes, no row" in output
    assert f"user {alice.pk} is charged 0 bytes and stores 7" in output
    assert stored_path(key).exists()


def test_it_repairs_an_old_orphan(alice: User, make_file: MakeFile) -> None:
    kept = make_file(alice, "kept.txt")
    plant_orphan(alice)

    status, output = fsck("--repair")

    assert status == 0, output
    assert output.count("(repaired)") == 2  # the orphan and the drift it caused
    assert stored_paths() == [stored_path(kept.file.name)]
    assert fsck()[0] == 0


def test_it_leaves_a_young_orphan_alone(alice: User) -> None:
    # Younger than --orphan-age it may be an upload whose row is about to commit.
    key = plant_orphan(alice, age=60)

    assert fsck("--repair")[0] == 1
    assert stored_path(key).exists()
    assert fsck("--repair", "--orphan-age", "30")[0] == 0
    assert not stored_path(key).exists()


def test_it_reports_a_size_mismatch_and_keeps_both(alice: User, make_file: MakeFile) -> None:
    upload = make_file(alice, "notes.txt", b"hello world")
    stored_path(upload.file.name).write_bytes(b"hello")

    status, output = fsck("--repair")

    assert status == 1
    assert f"size     {upload.file.name}: file {upload.pk}: 5 bytes stored, 11 recorded" in output
    assert "(repaired)" not in output
    assert stored_path(upload.file.name).read_bytes() == b"hello"
    assert UploadedFile.objects.filter(pk=upload.pk).exists()


def test_it_reports_changed_content_of_the_same_size(alice: User, make_file: MakeFile) -> None:
    upload = make_file(alice, "notes.txt", b"hello world")
    stored_path(upload.file.name).write_bytes(b"HELLO WORLD")

    status, output = fsck("--repair")

    assert status == 1
    assert f"sha256   {upload.file.name}: file {upload.pk}: content changed" in output
    # A bit flip does not change what the quota counts.
    assert "quota" not in output


def test_it_can_skip_reading_the_bytes(alice: User, make_file: MakeFile) -> None:
    upload = make_file(alice, "notes.txt", b"hello world")
    stored_path(upload.file.name).write_bytes(b"HELLO WORLD")

    assert fsck("--no-hash")[0] == 0


def test_it_ignores_what_is_not_a_storage_key(alice: User) -> None:
    # Outside u/<owner>/<uuid>: not written by Portal, not Portal's to judge.
    for key in ("u/README", f"u/{alice.pk}/not-a-uuid", "thumbs/a.png"):
        path = stored_path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"x")

    assert fsck("--repair")[0] == 0
    assert len(stored_paths()) == 3


def test_trashed_bytes_and_versions_are_no_orphans_until_purged(
    alice: User, make_file: MakeFile, make_folder: MakeFolder,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:  # fmt: skip
    from django.core.files.uploadedfile import SimpleUploadedFile

    from files.history import trash
    from files.uploads import intake

    old = make_folder(alice, "Old")
    inside = make_file(alice, "inside.txt", b"first", folder=old)
    intake.replace_file(inside, SimpleUploadedFile("inside.txt", b"second"))
    inside.refresh_from_db()
    [version] = inside.versions.all()
    trash.trash_folder(old, by=alice)
    keys = sorted([inside.file.name, version.stored.name])
    for key in keys:  # old enough for --repair to delete them, were they orphans
        then = time.time() - 2 * HOUR
        os.utime(stored_path(key), (then, then))
    status, output = fsck("--repair", "--orphan-age", "60")
    assert status == 0, output
    assert stored_paths() == sorted(stored_path(key) for key in keys)
    # Their bytes must be there until purged: a missing one is reported as trashed.
    stored_path(inside.file.name).rename(stored_path(inside.file.name + ".aside"))
    status, output = fsck()
    assert status == 1
    assert f"{inside.pk} (in the trash)" in output
    stored_path(inside.file.name + ".aside").rename(stored_path(inside.file.name))
    with django_capture_on_commit_callbacks(execute=True):
        trash.purge(trash_entry(alice))
    assert stored_paths() == []
    status, output = fsck()
    assert status == 0, output


def trash_entry(owner: User) -> Folder:
    from files import access

    [entry] = access.trashed_folders(owner)
    return entry
