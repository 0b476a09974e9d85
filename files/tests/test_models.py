"""UploadedFile and its queryset: the one place that says who may see what."""

from __future__ import annotations

from django.contrib.auth.models import AnonymousUser

from accounts.models import User
from files import access
from files.models import UploadedFile, storage_key
from files.tests.conftest import MakeFile


def test_owned_by_is_the_users_own_files(
    alice: User, bob: User, staff: User, make_file: MakeFile
) -> None:
    mine = make_file(alice, "mine.txt")
    make_file(bob, "theirs.txt")
    assert list(access.owned_files(alice)) == [mine]
    assert list(access.owned_files(staff)) == []
    assert list(access.owned_files(AnonymousUser())) == []


def test_readable_by_adds_everything_for_staff(
    alice: User, bob: User, staff: User, make_file: MakeFile
) -> None:
    mine = make_file(alice, "mine.txt")
    theirs = make_file(bob, "theirs.txt")
    assert list(access.readable_files(alice)) == [mine]
    assert set(access.readable_files(staff)) == {mine, theirs}
    assert list(access.readable_files(AnonymousUser())) == []


def test_storage_key_ignores_the_filename(alice: User) -> None:
    upload = UploadedFile(owner=alice, name="x.txt")
    assert storage_key(upload, "../../evil.txt") == f"u/{alice.pk}/{upload.pk}"


def test_it_knows_its_urls_and_name(alice: User, make_file: MakeFile) -> None:
    upload = make_file(alice, "notes.txt")
    assert str(upload) == "notes.txt"
    assert upload.get_absolute_url() == f"/files/{upload.pk}/"
    assert upload.get_download_url() == f"/files/{upload.pk}/download/"
    assert upload.get_preview_url() == f"/files/{upload.pk}/preview/"
