"""Threat: requests shaped to crash, exhaust or trick the upload and form handling.

Django's own limits do the work (DATA_UPLOAD_MAX_NUMBER_FIELDS = 1000,
DATA_UPLOAD_MAX_NUMBER_FILES = 100, DATA_UPLOAD_MAX_MEMORY_SIZE = 2.5 MB for
non-file fields; PORTAL_MAX_UPLOAD_SIZE per file): each is a 400 or a form
error, never a 500, and leaves no row, no stored bytes and no temporary file.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import Settings

from accounts.models import User
from files.models import UploadedFile
from files.tests.utils import stored_paths
from tests.tooling import MultipartBody


@pytest.fixture
def temp_dir(settings: Settings, tmp_path: Path) -> Path:
    directory = tmp_path / "upload-tmp"
    directory.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(directory)
    return directory


@pytest.fixture
def content(tmp_path: Path) -> Path:
    path = tmp_path / "content.bin"
    path.write_bytes(b"x" * 1000)
    return path


def post_raw(client: Client, body: bytes, content_type: str, path: str = "/files/upload/"):
    return client.generic("POST", path, body, content_type=content_type)


def assert_nothing_left(temp_dir: Path) -> None:
    assert UploadedFile.objects.count() == 0
    assert stored_paths() == []
    assert list(temp_dir.iterdir()) == []


def signed_in_with_csrf(alice: User) -> Client:
    client = Client(enforce_csrf_checks=True)
    client.force_login(alice)
    client.get("/files/upload/")
    return client


def test_an_upload_without_a_csrf_token_is_refused(alice: User, temp_dir: Path) -> None:
    client = signed_in_with_csrf(alice)
    response = client.post("/files/upload/", {"file": SimpleUploadedFile("a.txt", b"a")})
    assert response.status_code == 403
    assert_nothing_left(temp_dir)


@pytest.mark.parametrize("token", ["", "x", "a" * 32, "a" * 64, "\x00" * 32])
def test_an_upload_with_a_wrong_csrf_token_is_refused(
    alice: User, temp_dir: Path, token: str
) -> None:
    client = signed_in_with_csrf(alice)
    response = client.post(
        "/files/upload/",
        {"csrfmiddlewaretoken": token, "file": SimpleUploadedFile("a.txt", b"a")},
    )
    assert response.status_code == 403
    assert_nothing_left(temp_dir)


def test_a_token_from_another_session_is_refused(alice: User, bob: User, temp_dir: Path) -> None:
    other = signed_in_with_csrf(bob)
    stolen = other.cookies[settings.CSRF_COOKIE_NAME].value
    client = signed_in_with_csrf(alice)
    response = client.post(
        "/files/upload/",
        {"csrfmiddlewaretoken": stolen, "file": SimpleUploadedFile("a.txt", b"a")},
    )
    assert response.status_code == 403


@pytest.mark.parametrize("path", ["/files/{pk}/", "/files/{pk}/delete/", "/accounts/logout/"])
def test_every_form_post_needs_the_token(alice: User, path: str, make_file) -> None:
    stored = make_file(alice)
    client = signed_in_with_csrf(alice)
    response = client.post(path.format(pk=stored.pk), {"name": "renamed.txt"})
    assert response.status_code == 403
    stored.refresh_from_db()
    assert stored.name == "notes.txt"


def test_thousands_of_fields_are_a_400(alice_client: Client, temp_dir: Path, content: Path) -> None:
    fields = {f"field{n}": "x" for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FIELDS + 1)}
    body = MultipartBody(fields, [("a.txt", content)])
    response = post_raw(alice_client, body.read(), body.content_type)
    assert response.status_code == 400
    assert_nothing_left(temp_dir)


def test_thousands_of_files_are_a_400(alice_client: Client, temp_dir: Path, content: Path) -> None:
    files = [(f"f{n}.txt", content) for n in range(2000)]
    body = MultipartBody({}, files)
    response = post_raw(alice_client, body.read(), body.content_type)
    assert response.status_code == 400
    assert_nothing_left(temp_dir)


def test_the_largest_batch_allowed_is_stored(
    alice_client: Client, temp_dir: Path, content: Path
) -> None:
    files = [(f"f{n}.txt", content) for n in range(settings.DATA_UPLOAD_MAX_NUMBER_FILES)]
    body = MultipartBody({}, files)
    assert post_raw(alice_client, body.read(), body.content_type).status_code == 302
    assert UploadedFile.objects.count() == settings.DATA_UPLOAD_MAX_NUMBER_FILES
    assert list(temp_dir.iterdir()) == []


def test_an_oversized_form_field_is_a_400(alice_client: Client, make_file, alice: User) -> None:
    stored = make_file(alice)
    response = alice_client.post(
        f"/files/{stored.pk}/", {"name": "x" * (settings.DATA_UPLOAD_MAX_MEMORY_SIZE + 1)}
    )
    assert response.status_code == 400
    stored.refresh_from_db()
    assert stored.name == "notes.txt"


def test_a_file_over_the_limit_is_refused_without_filling_the_disk(
    alice_client: Client, settings: Settings, temp_dir: Path
) -> None:
    settings.PORTAL_MAX_UPLOAD_SIZE = 1000
    response = alice_client.post(
        "/files/upload/", {"file": SimpleUploadedFile("big.bin", b"x" * 200_000)}
    )
    assert response.status_code == 200
    assert response.context["form"].has_error("file", "too_large")
    assert_nothing_left(temp_dir)


def test_a_huge_part_header_is_refused_cleanly(
    alice_client: Client, temp_dir: Path, content: Path
) -> None:
    body = MultipartBody({}, [("a" * 100_000 + ".txt", content)])
    response = post_raw(alice_client, body.read(), body.content_type)
    assert response.status_code in {200, 400}
    assert_nothing_left(temp_dir)


def test_many_headers_in_one_part_are_refused_cleanly(alice_client: Client, temp_dir: Path) -> None:
    boundary = "b0undary"
    headers = "".join(f"X-Filler-{n}: {'y' * 50}\r\n" for n in range(5000))
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.txt"\r\n'
        f"{headers}\r\npayload\r\n--{boundary}--\r\n"
    ).encode()
    response = post_raw(alice_client, body, f"multipart/form-data; boundary={boundary}")
    assert response.status_code in {200, 400}
    assert_nothing_left(temp_dir)


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        (b"garbage", "multipart/form-data"),
        (b"garbage", "multipart/form-data; boundary="),
        (b"--x\r\n\r\n", "multipart/form-data; boundary=x"),
        (b"--x\r\nContent-Disposition: form-data\r\n\r\nv\r\n", "multipart/form-data; boundary=x"),
        (b"\xff\xfe" * 1000, "multipart/form-data; boundary=" + "x" * 100),
        (b"file=a", "application/x-www-form-urlencoded"),
        (b"%zz=%%%", "application/x-www-form-urlencoded"),
        (b'{"file": "a"}', "application/json"),
    ],
)
def test_a_malformed_body_is_refused_cleanly(
    alice_client: Client, temp_dir: Path, body: bytes, content_type: str
) -> None:
    response = post_raw(alice_client, body, content_type)
    assert response.status_code in {200, 400}
    assert_nothing_left(temp_dir)
