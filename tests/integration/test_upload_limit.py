"""PORTAL_MAX_UPLOAD_SIZE as the front server and Django enforce it together."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import pytest

from files.contract import MULTIPART_HEADROOM
from tests.integration.conftest import MIB, SMALL_LIMIT
from tests.integration.support import PortalStack
from tests.tooling import Sample, download_ids

pytestmark = pytest.mark.integration


def eventually(check: Callable[[], bool], timeout: float = 3.0) -> bool:
    """Temp files go when the request is torn down, a moment after the answer."""
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def upload_posts(stack: PortalStack) -> int:
    return len(stack.gunicorn_log("POST /files/upload/", timeout=0))


def test_an_upload_over_the_limit_is_refused_with_413_and_leaves_nothing(
    small_stack: PortalStack, tmp_path: Path
) -> None:
    alice = small_stack.login("alice")
    sample = Sample.write(tmp_path, "too-big.bin", SMALL_LIMIT + MULTIPART_HEADROOM + MIB)
    files, rows = small_stack.media_files(), small_stack.row_count()
    posts = upload_posts(small_stack)

    response = alice.upload(sample)

    assert response.status_code == 413
    assert small_stack.media_files() == files
    assert small_stack.row_count() == rows
    assert eventually(lambda: small_stack.temp_files() == set()), small_stack.temp_files()
    # Refused at the door: not one byte of it reached Python.
    assert upload_posts(small_stack) == posts
    listing = alice.session.get(f"{small_stack.url}/files/", params={"q": sample.name}, timeout=30)
    assert download_ids(listing.text) == []


def test_a_file_of_exactly_the_limit_gets_through(small_stack: PortalStack, tmp_path: Path) -> None:
    alice = small_stack.login("alice")
    sample = Sample.write(tmp_path, "exactly-the-limit.bin", SMALL_LIMIT)

    response = alice.upload(sample)

    assert response.status_code == 302
    # Also proves downloads work from a media root whose path has a space.
    download = alice.download(alice.file_id(sample.name))
    assert download.status == 200
    assert download.sha256 == sample.sha256


def test_a_file_just_over_the_limit_gets_djangos_message_and_leaves_nothing(
    small_stack: PortalStack, tmp_path: Path
) -> None:
    alice = small_stack.login("alice")
    # Within the front server's multipart headroom, so Django has to say no.
    sample = Sample.write(tmp_path, "one-byte-too-many.bin", SMALL_LIMIT + 1)
    files, rows = small_stack.media_files(), small_stack.row_count()

    response = alice.upload(sample)

    assert response.status_code == 200
    assert "the largest file allowed is" in response.text
    assert small_stack.media_files() == files
    assert small_stack.row_count() == rows
    assert eventually(lambda: small_stack.temp_files() == set()), small_stack.temp_files()
