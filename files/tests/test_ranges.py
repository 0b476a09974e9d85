"""The django backend: Range and conditional requests, as browsers send them."""

from __future__ import annotations

import pytest
from django.test import Client
from django.utils.http import http_date

from accounts.models import User
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import body

CONTENT = b"0123456789"


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:
    return make_file(alice, "digits.txt", CONTENT)


def url(upload: UploadedFile) -> str:
    return f"/files/{upload.pk}/download/"


@pytest.mark.parametrize(
    ("byte_range", "content_range", "expected"),
    [
        ("bytes=0-4", "bytes 0-4/10", b"01234"),
        ("bytes=5-", "bytes 5-9/10", b"56789"),
        ("bytes=-3", "bytes 7-9/10", b"789"),
        ("bytes=3-3", "bytes 3-3/10", b"3"),
        ("bytes=8-100", "bytes 8-9/10", b"89"),
        ("bytes=-100", "bytes 0-9/10", CONTENT),
        (" bytes=0-1 ", "bytes 0-1/10", b"01"),
    ],
)
def test_it_sends_a_range(
    alice_client: Client,
    upload: UploadedFile,
    byte_range: str,
    content_range: str,
    expected: bytes,
) -> None:
    response = alice_client.get(url(upload), headers={"Range": byte_range})
    assert response.status_code == 206
    assert response["Content-Range"] == content_range
    assert response["Content-Length"] == str(len(expected))
    assert body(response) == expected
    assert response["Content-Disposition"] == 'attachment; filename="digits.txt"'


@pytest.mark.parametrize("byte_range", ["bytes=10-", "bytes=10-20", "bytes=-0"])
def test_it_refuses_an_unsatisfiable_range(
    alice_client: Client, upload: UploadedFile, byte_range: str
) -> None:
    response = alice_client.get(url(upload), headers={"Range": byte_range})
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */10"
    assert body(response) == b""


@pytest.mark.parametrize(
    "byte_range", ["bytes=5-2", "bytes=abc", "bytes=-", "bytes=0-1,3-4", "items=0-4", "0-4"]
)
def test_it_sends_everything_for_a_range_it_cannot_read(
    alice_client: Client, upload: UploadedFile, byte_range: str
) -> None:
    response = alice_client.get(url(upload), headers={"Range": byte_range})
    assert response.status_code == 200
    assert "Content-Range" not in response.headers
    assert response["Content-Length"] == "10"
    assert body(response) == CONTENT


def test_it_honours_if_range_with_the_current_etag(
    alice_client: Client, upload: UploadedFile
) -> None:
    response = alice_client.get(
        url(upload), headers={"Range": "bytes=0-1", "If-Range": f'"{upload.sha256}"'}
    )
    assert response.status_code == 206
    assert body(response) == b"01"


def test_it_sends_everything_when_if_range_names_another_version(
    alice_client: Client, upload: UploadedFile
) -> None:
    response = alice_client.get(url(upload), headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_it_answers_not_modified_for_its_etag(alice_client: Client, upload: UploadedFile) -> None:
    etag = alice_client.get(url(upload))["ETag"]
    assert etag == f'"{upload.sha256}"'
    response = alice_client.get(url(upload), headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert body(response) == b""
    # RFC 9110 15.4.5: a 304 carries the ETag and Cache-Control a 200 would have.
    assert response["ETag"] == etag
    assert response["Last-Modified"] == http_date(upload.created.timestamp())
    assert response["Cache-Control"] == "private"


def test_it_sends_the_file_for_another_etag(alice_client: Client, upload: UploadedFile) -> None:
    response = alice_client.get(url(upload), headers={"If-None-Match": '"something-else"'})
    assert response.status_code == 200
    assert body(response) == CONTENT


def test_it_serves_an_empty_file(alice: User, alice_client: Client, make_file: MakeFile) -> None:
    empty = make_file(alice, "empty.txt", b"")
    assert empty.size == 0
    response = alice_client.get(url(empty))
    assert response.status_code == 200
    assert response["Content-Length"] == "0"
    assert body(response) == b""


def test_it_refuses_a_range_past_the_end_of_an_empty_file(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    empty = make_file(alice, "empty.txt", b"")
    response = alice_client.get(url(empty), headers={"Range": "bytes=0-"})
    assert response.status_code == 416
    assert response["Content-Range"] == "bytes */0"


def test_it_sends_an_empty_file_whole_for_a_suffix_range(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    # There is no last-byte position to name in a Content-Range for zero bytes.
    empty = make_file(alice, "empty.txt", b"")
    response = alice_client.get(url(empty), headers={"Range": "bytes=-3"})
    assert response.status_code == 200
    assert "Content-Range" not in response.headers
    assert response["Content-Length"] == "0"
    assert body(response) == b""
