"""POST /files/upload/: every accepted file becomes a row owned by the poster, and its bytes."""

from __future__ import annotations

import hashlib
import uuid
import zlib
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile, TemporaryUploadedFile
from django.test import Client
from django.utils import timezone
from pytest_django import Settings

from accounts.models import User
from files.models import UploadedFile
from files.tests.utils import image_bytes, stored_path, stored_paths
from files.uploads.content import HEAD_SIZE
from files.uploads.handler import HashedUpload, HashingUploadHandler

URL = "/files/upload/"


def test_it_shows_the_form(alice_client: Client) -> None:
    response = alice_client.get(URL)
    assert response.status_code == 200
    html = response.content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert '<input type="file" name="file" multiple required id="id_file">' in html


def test_it_stores_an_upload(alice: User, alice_client: Client) -> None:
    content = b"hello portal\n"
    before = timezone.now()
    response = alice_client.post(URL, {"file": SimpleUploadedFile("notes.txt", content)})
    assert response.status_code == 302
    assert response.url == "/files/"

    upload = UploadedFile.objects.get()
    assert isinstance(upload.pk, uuid.UUID)
    assert upload.owner == alice
    assert upload.file.name == f"u/{alice.pk}/{upload.pk}"
    assert upload.name == "notes.txt"
    assert upload.size == len(content)
    assert upload.content_type == "text/plain"
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert upload.sha1 == hashlib.sha1(content, usedforsecurity=False).hexdigest()
    assert upload.crc32 == zlib.crc32(content)
    assert before <= upload.created <= timezone.now()
    assert before <= upload.modified <= timezone.now()
    assert stored_paths() == [stored_path(f"u/{alice.pk}/{upload.pk}")]
    assert stored_paths()[0].read_bytes() == content


def test_it_strips_a_nul_from_the_uploaded_name(alice_client: Client) -> None:
    alice_client.post(URL, {"file": SimpleUploadedFile("a\x00b.txt", b"x")})
    assert UploadedFile.objects.get().name == "ab.txt"


def test_it_stores_an_empty_file(alice: User, alice_client: Client) -> None:
    response = alice_client.post(URL, {"file": SimpleUploadedFile("placeholder.lock", b"")})
    assert response.status_code == 302

    upload = UploadedFile.objects.get()
    assert upload.size == 0
    assert upload.sha256 == hashlib.sha256(b"").hexdigest()
    assert stored_paths()[0].read_bytes() == b""


def test_it_keeps_the_users_name_out_of_the_storage_key(alice: User, alice_client: Client) -> None:
    alice_client.post(URL, {"file": SimpleUploadedFile("../../secret plans.txt", b"x")})
    upload = UploadedFile.objects.get()
    assert upload.name == "secret plans.txt"
    assert upload.file.name == f"u/{alice.pk}/{upload.pk}"
    assert "secret" not in str(stored_paths()[0])
    assert "alice" not in str(stored_paths()[0])


def test_it_stores_several_files_from_one_post(alice: User, alice_client: Client) -> None:
    response = alice_client.post(
        URL,
        {
            "file": [
                SimpleUploadedFile("one.txt", b"first"),
                SimpleUploadedFile("two.png", image_bytes("PNG")),
            ]
        },
        follow=True,
    )
    assert response.redirect_chain == [("/files/", 302)]
    assert "Uploaded 2 files." in response.content.decode()

    uploads = {upload.name: upload for upload in UploadedFile.objects.all()}
    assert sorted(uploads) == ["one.txt", "two.png"]
    assert uploads["one.txt"].file.read() == b"first"
    assert uploads["two.png"].content_type == "image/png"
    assert uploads["two.png"].sha256 == hashlib.sha256(image_bytes("PNG")).hexdigest()
    assert {upload.owner for upload in uploads.values()} == {alice}
    assert len(stored_paths()) == 2


def test_it_says_which_file_was_uploaded(alice_client: Client) -> None:
    response = alice_client.post(URL, {"file": SimpleUploadedFile("one.txt", b"1")}, follow=True)
    assert "Uploaded one.txt." in response.content.decode()


def test_it_ignores_an_owner_in_the_post_data(alice: User, bob: User, alice_client: Client) -> None:
    alice_client.post(
        URL, {"file": SimpleUploadedFile("mine.txt", b"x"), "owner": bob.pk, "owner_id": bob.pk}
    )
    upload = UploadedFile.objects.get()
    assert upload.owner == alice
    assert upload.file.name.startswith(f"u/{alice.pk}/")


def test_it_detects_the_type_by_content_not_name(alice_client: Client) -> None:
    alice_client.post(URL, {"file": SimpleUploadedFile("holiday", image_bytes("JPEG"))})
    assert UploadedFile.objects.get().content_type == "image/jpeg"


def test_it_streams_through_the_hashing_handler_to_a_temporary_file(
    alice_client: Client, settings: Settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    temp_dir = tmp_path / "upload-tmp"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    completed: list[tuple[HashedUpload, Path, int]] = []
    original = HashingUploadHandler.file_complete

    def spy(self: HashingUploadHandler, file_size: int) -> HashedUpload:
        file = original(self, file_size)
        path = Path(file.temporary_file_path())
        completed.append((file, path, path.stat().st_ino))
        return file

    monkeypatch.setattr(HashingUploadHandler, "file_complete", spy)
    # Larger than one parser chunk (64 KiB), so the hash is built across chunks.
    content = bytes(range(256)) * 1200
    alice_client.post(URL, {"file": SimpleUploadedFile("big.bin", content)})

    [(file, temp_path, inode)] = completed
    # A temporary file on disk (never in memory) that hashed its bytes as they came.
    assert isinstance(file, HashedUpload)
    assert isinstance(file, TemporaryUploadedFile)
    assert temp_path.parent == temp_dir
    assert file.digests.sha256 == hashlib.sha256(content).hexdigest()
    assert file.digests.sha1 == hashlib.sha1(content, usedforsecurity=False).hexdigest()
    assert file.digests.crc32 == zlib.crc32(content)
    assert file.head == content[:HEAD_SIZE]
    upload = UploadedFile.objects.get()
    assert upload.sha256 == hashlib.sha256(content).hexdigest()
    assert upload.size == len(content)
    # Storage renamed the temporary file into place rather than reading it again.
    assert not temp_path.exists()
    assert stored_path(upload.file.name).stat().st_ino == inode
    assert stored_path(upload.file.name).read_bytes() == content


def test_it_enforces_csrf(alice: User) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    response = client.post(URL, {"file": SimpleUploadedFile("a.txt", b"x")})
    assert response.status_code == 403
    assert not UploadedFile.objects.exists()
    assert stored_paths() == []

    # The same request with the form's token goes through.
    token = client.get(URL).context["csrf_token"]
    response = client.post(
        URL, {"file": SimpleUploadedFile("a.txt", b"x"), "csrfmiddlewaretoken": token}
    )
    assert response.status_code == 302
    assert UploadedFile.objects.count() == 1


def test_it_sends_anonymous_users_to_login(client: Client, db: None) -> None:
    response = client.get(URL)
    assert response.status_code == 302
    assert response.url == "/accounts/login/?next=/files/upload/"


def test_it_stores_nothing_for_anonymous_users(client: Client, db: None) -> None:
    response = client.post(URL, {"file": SimpleUploadedFile("a.txt", b"x")})
    assert response.status_code == 302
    assert response.url.startswith("/accounts/login/")
    assert not UploadedFile.objects.exists()
    assert stored_paths() == []
