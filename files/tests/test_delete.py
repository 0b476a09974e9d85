"""/files/<uuid>/delete/ sends a file to the trash; deleted forever, its bytes go after commit."""

from __future__ import annotations

import uuid

import pytest
from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import stored_path, stored_paths


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:
    return make_file(alice, "notes.txt", b"hello world")


def url(upload: UploadedFile) -> str:
    return f"/files/{upload.pk}/delete/"


def test_it_asks_for_confirmation(alice_client: Client, upload: UploadedFile) -> None:
    response = alice_client.get(url(upload))
    assert response.status_code == 200
    assert "Delete “notes.txt”?" in response.content.decode()
    assert UploadedFile.objects.filter(pk=upload.pk).exists()


def test_it_moves_the_file_to_the_trash_keeping_its_bytes(
    alice_client: Client,
    upload: UploadedFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = stored_path(upload.file.name)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(url(upload), follow=True)
    assert response.redirect_chain == [("/files/", 302)]
    assert "Moved notes.txt to the trash." in response.content.decode()
    assert "notes.txt" not in response.content.decode().split("to the trash.")[1]  # not listed
    upload.refresh_from_db()
    assert upload.trashed_at is not None
    assert path.exists()


def test_deleting_forever_removes_the_row_then_the_bytes_after_commit(
    alice: User,
    alice_client: Client,
    upload: UploadedFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    path = stored_path(upload.file.name)
    alice_client.post(url(upload))
    with django_capture_on_commit_callbacks() as callbacks:
        response = alice_client.post(f"/files/{upload.pk}/purge/")
    assert response.status_code == 302
    assert not UploadedFile.objects.filter(pk=upload.pk).exists()
    assert path.exists()  # not yet: the transaction has not committed

    for callback in callbacks:
        callback()
    assert not path.exists()
    assert stored_paths() == []


def test_it_deletes_only_that_file(
    alice: User,
    alice_client: Client,
    upload: UploadedFile,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    other = make_file(alice, "keep.txt", b"keep")
    with django_capture_on_commit_callbacks(execute=True):
        alice_client.post(url(upload))
    assert list(UploadedFile.objects.filter(trashed_at=None)) == [other]
    assert list(UploadedFile.objects.exclude(trashed_at=None)) == [upload]


def test_it_checks_owner(
    bob_client: Client,
    upload: UploadedFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    assert bob_client.get(url(upload)).status_code == 404
    with django_capture_on_commit_callbacks(execute=True):
        assert bob_client.post(url(upload)).status_code == 404
    assert UploadedFile.objects.filter(pk=upload.pk).exists()
    assert stored_path(upload.file.name).exists()


def test_it_sends_anonymous_users_to_login(client: Client, upload: UploadedFile) -> None:
    response = client.post(url(upload))
    assert response.status_code == 302
    assert response.url == f"/accounts/login/?next=/files/{upload.pk}/delete/"
    assert UploadedFile.objects.filter(pk=upload.pk).exists()


def test_it_handles_bad_uuid(alice_client: Client) -> None:
    assert alice_client.post("/files/nope/delete/").status_code == 404
    assert alice_client.post(f"/files/{uuid.uuid4()}/delete/").status_code == 404


def test_a_rolled_back_delete_keeps_the_bytes(
    upload: UploadedFile, django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            UploadedFile.objects.get(pk=upload.pk).delete()
            raise RuntimeError("changed my mind")
    assert callbacks == []
    assert UploadedFile.objects.filter(pk=upload.pk).exists()
    assert stored_path(upload.file.name).read_bytes() == b"hello world"


def test_deleting_a_user_removes_their_bytes(
    alice: User,
    bob: User,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    make_file(alice, "a.txt")
    make_file(alice, "b.txt")
    kept = make_file(bob, "c.txt")
    with django_capture_on_commit_callbacks(execute=True):
        alice.delete()
    assert list(UploadedFile.objects.all()) == [kept]
    assert stored_paths() == [stored_path(kept.file.name)]


def test_a_queryset_delete_removes_the_bytes(
    alice: User,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    make_file(alice, "a.txt")
    make_file(alice, "b.txt")
    with django_capture_on_commit_callbacks(execute=True):
        UploadedFile.objects.all().delete()
    assert stored_paths() == []


def test_a_store_failing_the_delete_still_deletes_the_row(
    alice_client: Client,
    upload: UploadedFile,
    monkeypatch: pytest.MonkeyPatch,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
    caplog: pytest.LogCaptureFixture,
) -> None:
    def unreachable(self: object, name: str) -> None:
        raise OSError("the store does not answer")

    alice_client.post(f"/files/{upload.pk}/delete/")
    monkeypatch.setattr(FileSystemStorage, "delete", unreachable)
    with django_capture_on_commit_callbacks(execute=True):
        response = alice_client.post(f"/files/{upload.pk}/purge/")

    assert response.status_code == 302
    assert not UploadedFile.objects.filter(pk=upload.pk).exists()
    # The bytes stay, an orphan for portal_fsck --repair; the log says so.
    assert stored_path(upload.file.name).exists()
    assert "portal_fsck --repair" in caplog.text
