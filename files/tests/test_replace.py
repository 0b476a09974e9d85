"""intake.replace_file: new bytes for an existing file, which keeps its id, shares and links."""

from __future__ import annotations

import hashlib
import zlib

import pytest
from botocore.exceptions import EndpointConnectionError
from django.core.exceptions import ValidationError
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile
from pytest_django import Settings

from accounts.models import User
from files import contract
from files.models import Share, StorageUsage, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile
from files.tests.test_fsck import fsck
from files.tests.utils import stored_path, stored_paths
from files.uploads import intake

pytestmark = pytest.mark.django_db(transaction=True)  # bytes go after a real commit


def incoming(content: bytes, name: str = "anything.bin") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content)


def test_it_keeps_the_file_and_swaps_its_bytes(alice: User, bob: User, make_file: MakeFile) -> None:
    original = make_file(alice, "report.txt", b"first draft")
    share = grants.share(original, bob)
    _, token = grants.create_link(original)
    old_key = original.file.name

    replaced = intake.replace_file(original, incoming(b"second draft, longer"))

    replaced.refresh_from_db()
    assert (replaced.pk, replaced.name, replaced.owner, replaced.folder) == (
        original.pk,
        "report.txt",
        alice,
        None,
    )
    assert replaced.size == len(b"second draft, longer")
    assert replaced.sha256 == hashlib.sha256(b"second draft, longer").hexdigest()
    assert replaced.crc32 == zlib.crc32(b"second draft, longer")
    assert replaced.modified > original.modified
    # A new revision of the file's own key; the old bytes stay, as its version.
    match = contract.STORAGE_KEY.fullmatch(replaced.file.name)
    assert match is not None and replaced.file.name.startswith(f"{old_key}.")
    assert stored_paths() == sorted([stored_path(old_key), stored_path(replaced.file.name)])
    assert stored_path(replaced.file.name).read_bytes() == b"second draft, longer"
    [version] = replaced.versions.all()
    assert (version.stored.name, version.size) == (old_key, len(b"first draft"))
    assert Share.objects.get(pk=share.pk).file == replaced
    assert grants.find_link(token).file == replaced  # type: ignore[union-attr]
    used = StorageUsage.objects.get(owner=alice).used
    assert used == len(b"second draft, longer") + len(b"first draft")
    assert fsck()[0] == 0


def test_without_versions_the_old_bytes_go_after_the_commit(
    alice: User, make_file: MakeFile, settings: object
) -> None:
    settings.PORTAL_MAX_VERSIONS = 0
    original = make_file(alice, "report.txt", b"first draft")
    replaced = intake.replace_file(original, incoming(b"second"))
    assert stored_paths() == [stored_path(replaced.file.name)]
    assert not replaced.versions.exists()
    assert StorageUsage.objects.get(owner=alice).used == len(b"second")


def test_it_checks_the_quota_by_the_difference(alice: User, make_file: MakeFile) -> None:
    alice.quota = 20
    alice.save()
    original = make_file(alice, "grows.bin", b"x" * 15)
    # +5 fits exactly once the version just kept is purged to make room.
    intake.replace_file(original, incoming(b"y" * 20))
    assert not original.versions.exists()
    with pytest.raises(ValidationError) as error:
        intake.replace_file(original, incoming(b"z" * 21))
    assert error.value.code == "over_quota"
    original.refresh_from_db()
    assert original.size == 20
    assert [path.read_bytes() for path in stored_paths()] == [b"y" * 20]


def test_it_refuses_bytes_over_the_size_limit(
    alice: User, make_file: MakeFile, settings: object
) -> None:
    settings.PORTAL_MAX_UPLOAD_SIZE = 4
    original = make_file(alice, "small.bin", b"1234")
    with pytest.raises(ValidationError) as error:
        intake.replace_file(original, incoming(b"12345"))
    assert error.value.code == "too_large"
    assert UploadedFile.objects.get().file.name == original.file.name


def test_a_store_failure_changes_nothing_and_leaves_no_orphan(
    alice: User, make_file: MakeFile, monkeypatch: pytest.MonkeyPatch, settings: Settings
) -> None:
    original = make_file(alice, "kept.txt", b"kept")
    # The object store's errors are the ones intake turns into StoreUnavailable.
    settings.PORTAL_STORAGE = "s3"

    def save_then_fail(
        storage: FileSystemStorage, name: str, content: object, max_length: int | None = None
    ) -> str:
        stored_path(name).parent.mkdir(parents=True, exist_ok=True)
        stored_path(name).write_bytes(b"half")  # the bytes landed, then the store failed
        raise EndpointConnectionError(endpoint_url="http://store")

    monkeypatch.setattr(FileSystemStorage, "save", save_then_fail)
    with pytest.raises(intake.StoreUnavailable):
        intake.replace_file(original, incoming(b"new bytes"))
    assert UploadedFile.objects.get().file.name == original.file.name
    assert [path.read_bytes() for path in stored_paths()] == [b"kept"]


def test_a_database_failure_after_storing_leaves_the_old_file_whole(
    alice: User, make_file: MakeFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = make_file(alice, "kept.txt", b"kept")

    def fail(*args: object, **kwargs: object) -> None:
        raise RuntimeError("the database went away")

    monkeypatch.setattr(intake, "after_store", fail)
    with pytest.raises(RuntimeError):
        intake.replace_file(original, incoming(b"new bytes"))
    assert UploadedFile.objects.get().file.name == original.file.name
    assert [path.read_bytes() for path in stored_paths()] == [b"kept"]
