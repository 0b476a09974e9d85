"""A rejected upload leaves no row and no bytes, and says why with an error code."""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.files.storage import FileSystemStorage
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.http import HttpResponse
from django.test import Client
from pytest_django import Settings

from accounts.models import User
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import stored_path, stored_paths
from files.uploads.handler import HashingUploadHandler

URL = "/files/upload/"


@pytest.fixture(autouse=True)
def _small_limit(settings: Settings) -> None:
    settings.PORTAL_MAX_UPLOAD_SIZE = 10


def error_codes(response: HttpResponse) -> list[str]:
    assert response.status_code == 200
    return [error.code for error in response.context["form"].errors.as_data()["file"]]


def assert_nothing_stored() -> None:
    assert not UploadedFile.objects.exists()
    assert stored_paths() == []


def test_it_accepts_a_file_at_the_limit(alice_client: Client) -> None:
    response = alice_client.post(URL, {"file": SimpleUploadedFile("a.txt", b"x" * 10)})
    assert response.status_code == 302
    assert UploadedFile.objects.get().size == 10


def test_it_rejects_a_file_too_large(alice_client: Client) -> None:
    response = alice_client.post(URL, {"file": SimpleUploadedFile("a.txt", b"x" * 11)})
    assert error_codes(response) == ["too_large"]
    assert "a.txt is 11\xa0bytes; the largest file allowed is 10\xa0bytes." in (
        response.content.decode()
    )
    assert_nothing_stored()


def test_it_requires_a_file(alice_client: Client) -> None:
    response = alice_client.post(URL, {})
    assert error_codes(response) == ["required"]
    assert_nothing_stored()


def test_it_rejects_a_name_that_cleans_to_empty(alice_client: Client) -> None:
    response = alice_client.post(URL, {"file": SimpleUploadedFile("   ", b"x")})
    assert error_codes(response) == ["bad_name"]
    assert_nothing_stored()


def test_it_rejects_an_upload_over_the_users_quota(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    alice.quota = 15
    alice.save()
    existing = make_file(alice, "old.txt", b"x" * 10)

    response = alice_client.post(URL, {"file": SimpleUploadedFile("new.txt", b"y" * 6)})
    assert error_codes(response) == ["over_quota"]
    assert list(UploadedFile.objects.all()) == [existing]
    assert stored_paths() == [stored_path(existing.file.name)]

    # Exactly filling the quota is allowed.
    response = alice_client.post(URL, {"file": SimpleUploadedFile("new.txt", b"y" * 5)})
    assert response.status_code == 302
    assert alice.storage_used() == 15


def test_it_applies_the_default_quota(
    alice: User, alice_client: Client, settings: Settings
) -> None:
    settings.PORTAL_DEFAULT_QUOTA = 5
    response = alice_client.post(URL, {"file": SimpleUploadedFile("a.txt", b"x" * 6)})
    assert error_codes(response) == ["over_quota"]
    assert_nothing_stored()


def test_a_quota_of_zero_means_unlimited(
    alice: User, alice_client: Client, settings: Settings
) -> None:
    settings.PORTAL_DEFAULT_QUOTA = 5
    alice.quota = 0
    alice.save()
    response = alice_client.post(URL, {"file": SimpleUploadedFile("a.txt", b"x" * 6)})
    assert response.status_code == 302


def test_it_counts_the_whole_batch_against_the_quota(alice: User, alice_client: Client) -> None:
    alice.quota = 10
    alice.save()
    files = [SimpleUploadedFile("a.txt", b"x" * 6), SimpleUploadedFile("b.txt", b"y" * 6)]
    response = alice_client.post(URL, {"file": files})
    assert error_codes(response) == ["over_quota"]
    assert_nothing_stored()


def test_it_rejects_the_whole_batch_when_one_file_is_too_large(alice_client: Client) -> None:
    files = [SimpleUploadedFile("small.txt", b"x" * 5), SimpleUploadedFile("big.txt", b"y" * 11)]
    response = alice_client.post(URL, {"file": files})
    assert error_codes(response) == ["too_large"]
    assert_nothing_stored()


def test_a_failure_while_storing_leaves_nothing(
    alice_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = FileSystemStorage._save
    saved: list[str] = []
    first_was_stored: list[bool] = []

    def fail_on_second_save(self: FileSystemStorage, name: str, content: object) -> str:
        if saved:
            first_was_stored.append(stored_path(saved[0]).exists())
            raise OSError("disk full")
        saved.append(original(self, name, content))
        return saved[-1]

    monkeypatch.setattr(FileSystemStorage, "_save", fail_on_second_save)
    files = [SimpleUploadedFile("a.txt", b"first"), SimpleUploadedFile("b.txt", b"second")]
    with pytest.raises(OSError, match="disk full"):
        alice_client.post(URL, {"file": files})

    assert first_was_stored == [True]
    assert not Path(stored_path(saved[0])).exists()
    assert_nothing_stored()


def test_it_stops_writing_a_file_past_the_limit(
    alice_client: Client, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PORTAL_MAX_UPLOAD_SIZE = 100_000
    seen: list[tuple[int, int]] = []
    original = HashingUploadHandler.file_complete

    def spy(self: HashingUploadHandler, file_size: int) -> TemporaryUploadedFile:
        file = original(self, file_size)
        seen.append((file.size, len(file.read())))
        file.seek(0)
        return file

    monkeypatch.setattr(HashingUploadHandler, "file_complete", spy)
    response = alice_client.post(URL, {"file": SimpleUploadedFile("big.bin", b"x" * 250_000)})
    assert error_codes(response) == ["too_large"]
    [(size, written)] = seen
    assert size == 250_000  # the real size, for the error message
    assert written <= 100_000  # but the disk did not take it all
    assert_nothing_stored()
