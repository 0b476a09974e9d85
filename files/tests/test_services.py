"""files.services: describing an upload, the quota, and the all-or-nothing save."""

from __future__ import annotations

import hashlib

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models.signals import post_save

from accounts.models import User
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import image_bytes, stored_path, stored_paths
from files.uploads import intake


def describe(name: str, content: bytes) -> UploadedFile:
    return intake.describe_upload(SimpleUploadedFile(name, content), name)


def test_it_describes_a_file_that_did_not_come_through_the_handler() -> None:
    content = image_bytes("GIF")
    described = describe("anim.gif", content)
    assert described.name == "anim.gif"
    assert described.size == len(content)
    assert described.sha256 == hashlib.sha256(content).hexdigest()
    assert described.content_type == "image/gif"


def test_it_stores_files_for_the_owner(alice: User) -> None:
    stored = intake.store_uploads(alice, [describe("a.txt", b"aa"), describe("b.txt", b"bbb")])
    assert [upload.name for upload in stored] == ["a.txt", "b.txt"]
    for upload in stored:
        upload.refresh_from_db()
        assert upload.owner == alice
        assert upload.file.name == f"u/{alice.pk}/{upload.pk}"
    assert sorted(path.read_bytes() for path in stored_paths()) == [b"aa", b"bbb"]


def test_it_checks_the_quota_again_when_storing(alice: User, make_file: MakeFile) -> None:
    # The form checked earlier; another upload may have landed since.
    alice.quota = 10
    alice.save()
    existing = make_file(alice, "old.txt", b"x" * 6)
    with pytest.raises(ValidationError) as error:
        intake.store_uploads(alice, [describe("new.txt", b"y" * 5)])
    assert error.value.code == "over_quota"
    assert list(UploadedFile.objects.all()) == [existing]
    assert stored_paths() == [stored_path(existing.file.name)]


def test_a_database_failure_after_the_bytes_moved_leaves_nothing(alice: User) -> None:
    saved: list[UploadedFile] = []

    def fail_on_second_row(sender: type, instance: UploadedFile, **kwargs: object) -> None:
        saved.append(instance)
        # By now the bytes of this file are in storage and its row inserted.
        assert stored_path(instance.file.name).exists()
        if len(saved) == 2:
            raise RuntimeError("database gone")

    post_save.connect(fail_on_second_row, sender=UploadedFile)
    try:
        with pytest.raises(RuntimeError, match="database gone"):
            intake.store_uploads(alice, [describe("a.txt", b"a"), describe("b.txt", b"b")])
    finally:
        post_save.disconnect(fail_on_second_row, sender=UploadedFile)

    assert len(saved) == 2
    assert not UploadedFile.objects.exists()
    assert stored_paths() == []


def test_check_quota_allows_unlimited_users(alice: User) -> None:
    assert alice.effective_quota() is None
    intake.check_quota(alice, 10**15)


def test_check_quota_reports_the_free_space(alice: User, make_file: MakeFile) -> None:
    alice.quota = 2048
    alice.save()
    make_file(alice, "a.bin", b"x" * 1024)
    with pytest.raises(ValidationError) as error:
        intake.check_quota(alice, 1025)
    assert error.value.code == "over_quota"
    assert error.value.messages == [
        "Not enough space: 1.0\xa0KB would go past the quota of 2.0\xa0KB (1.0\xa0KB free)."
    ]
