"""Resumable uploads in a real Chromium: offline and back, and a reload half-way.

The uploader's chunks are capped by PORTAL_MAX_UPLOAD_SIZE (here 512 KiB, so
a 16 MiB file takes 32 chunks and a throttled link takes seconds); the server
counts the bytes of every PATCH it is sent, so "resumed" means "not sent again".
"""

from __future__ import annotations

import hashlib
import os
import time
from pathlib import Path

import pytest
from pytest_django import Settings

from accounts.models import User
from files.models import ResumableUpload, UploadedFile
from files.uploads import resumable
from tests.e2e.test_folders_and_uploads import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KIB = 1024
SIZE = 16 * 1024 * KIB
CHUNK = 512 * KIB
BYTES_PER_SECOND = 2_000_000


@pytest.fixture
def patched_bytes(monkeypatch: pytest.MonkeyPatch, settings: Settings) -> list[int]:
    """The Content-Length of every PATCH the server took; chunks of 512 KiB."""
    settings.PORTAL_MAX_UPLOAD_SIZE = CHUNK
    sizes: list[int] = []
    receive = resumable.receive

    def counting(upload, offset, body, size, *more, **options):
        sizes.append(size)
        return receive(upload, offset, body, size, *more, **options)

    monkeypatch.setattr(resumable, "receive", counting)
    return sizes


def network(page, bytes_per_second: int = -1, offline: bool = False):
    """Throttle the upload link, or pull the cable (DevTools' own switch: fires offline/online)."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    conditions = {"offline": offline, "latency": 0, "downloadThroughput": -1,
                  "uploadThroughput": bytes_per_second}  # fmt: skip
    cdp.send("Network.emulateNetworkConditions", conditions)
    return cdp


@pytest.fixture
def big_file(tmp_path: Path) -> Path:
    path = tmp_path / "holiday video.bin"
    path.write_bytes(os.urandom(SIZE))
    return path


def percent(page) -> int:
    value = page.evaluate("() => document.querySelector('#upload-queue progress')?.value ?? -1")
    return int(value)


def wait_for_percent(page, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while percent(page) < at_least:
        assert time.monotonic() < deadline, "the upload does not move"
        time.sleep(0.05)


def test_an_upload_continues_by_itself_when_the_connection_comes_back(
    page, patched_bytes: list[int], big_file: Path
) -> None:
    User.objects.create_user("dora", password="dora's passphrase")
    log_in(page, "dora", "dora's passphrase")
    cdp = network(page, BYTES_PER_SECOND)
    page.set_input_files("#upload-files", big_file)
    wait_for_percent(page, 40)
    cdp.send("Network.emulateNetworkConditions", {"offline": True, "latency": 0,
             "downloadThroughput": -1, "uploadThroughput": -1})  # fmt: skip
    status = page.locator("#upload-queue .q-status")
    page.wait_for_function(
        "() => /Offline/.test(document.querySelector('#upload-queue .q-status').textContent)"
    )
    offline_at = ResumableUpload.objects.get().offset
    time.sleep(1)
    assert ResumableUpload.objects.get().offset == offline_at  # nothing moves while offline
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
             "downloadThroughput": -1, "uploadThroughput": -1})  # fmt: skip
    page.wait_for_selector("#upload-queue li.done", timeout=60_000)
    assert status.inner_text() == "Uploaded"
    stored = UploadedFile.objects.get()
    assert stored.sha256 == hashlib.sha256(big_file.read_bytes()).hexdigest()
    assert sum(patched_bytes) < 1.1 * SIZE
    assert not ResumableUpload.objects.exists()


def test_after_a_reload_the_same_file_picked_again_resumes(
    page, patched_bytes: list[int], big_file: Path
) -> None:
    User.objects.create_user("dora", password="dora's passphrase")
    log_in(page, "dora", "dora's passphrase")
    cdp = network(page, BYTES_PER_SECOND)
    page.set_input_files("#upload-files", big_file)
    wait_for_percent(page, 60)
    page.reload()
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 0,
             "downloadThroughput": -1, "uploadThroughput": -1})  # fmt: skip
    notice = page.locator("#upload-queue li.paused")
    assert "pick holiday video.bin again to resume" in notice.inner_text()
    reached = ResumableUpload.objects.get().offset
    assert reached >= SIZE // 2
    page.set_input_files("#upload-files", big_file)
    page.wait_for_selector("#upload-queue li.done", timeout=60_000)
    assert page.locator("#upload-queue li.paused").count() == 0
    stored = UploadedFile.objects.get()
    assert stored.sha256 == hashlib.sha256(big_file.read_bytes()).hexdigest()
    assert sum(patched_bytes) < 1.1 * SIZE


def test_the_page_names_the_resumable_limit(page, settings: Settings) -> None:
    settings.PORTAL_MAX_FILE_SIZE = 50 * 1024**3
    User.objects.create_user("dora", password="dora's passphrase")
    log_in(page, "dora", "dora's passphrase")
    assert "up to 50.0\xa0GB each" in page.locator("#upload-form .help").inner_text()
