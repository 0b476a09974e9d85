"""Public links in a real Chromium: a password link, and a drop box with live progress.

The visitor never logs in. Screenshots go to var/test-output/.
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from files.folders import tree
from files.models import Drop, Link, UploadedFile
from files.sharing import grants
from files.uploads import intake
from tests.e2e.test_folders_and_uploads import throttle_uploads

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

KB = 1000
FILE_SIZE = 300 * KB  # about a second each on the throttled link


def test_a_password_link_asks_then_downloads(page, tmp_path: Path, screenshots: Path) -> None:
    alice = User.objects.create_user("alice", password="password")
    content = b"quarterly numbers\n" * 100
    incoming = SimpleUploadedFile("report.txt", content)
    [upload] = intake.store_uploads(alice, [intake.describe_upload(incoming, "report.txt")])
    _, token = grants.create_link(upload, label="For the board", password="open sesame")

    page.goto(f"/s/{token}/")
    assert page.locator("h1").inner_text() == "For the board"
    assert page.locator("text=report.txt").count() == 0
    page.fill("input[name=password]", "not it")
    page.click("button:has-text('Open')")
    assert page.locator("text=That is not the password.").is_visible()
    page.fill("input[name=password]", "open sesame")
    page.click("button:has-text('Open')")
    page.wait_for_selector("h1:has-text('report.txt')")
    page.screenshot(path=screenshots / "20-link-file.png", full_page=True)
    with page.expect_download() as download_info:
        page.click("a:has-text('Download')")
    saved = tmp_path / "saved.txt"
    download_info.value.save_as(saved)
    assert saved.read_bytes() == content


def watch_queue(page, finished: int) -> set[int]:
    """The progress values seen until `finished` uploads have ended, one way or another."""
    seen: set[int] = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = page.evaluate(
            """() => [...document.querySelectorAll('#upload-queue li')].map((li) => [
                li.querySelector('progress') ? li.querySelector('progress').value : -1,
                li.className,
            ])"""
        )
        seen |= {int(value) for value, _ in state if value >= 0}
        if len([cls for _, cls in state if cls in ("done", "failed")]) >= finished:
            break
        time.sleep(0.1)
    return seen


def test_a_drop_box_shows_each_files_progress_and_a_full_quota(page, screenshots: Path) -> None:
    alice = User.objects.create_user("alice", password="password", quota=FILE_SIZE + 100 * KB)
    inbox = tree.create_folder(alice, None, "Inbox")
    _, token = grants.create_link(inbox, kind=Link.Kind.DROP, label="Send me the scans")

    page.goto(f"/s/{token}/")
    assert page.locator("h1").inner_text() == "Send me the scans"
    # Nothing of the owner's space: a visitor learns only that the box is full.
    assert page.locator("#quota-meter").count() == 0
    page.fill("input[name=dropped_by]", "Dana")
    sent_to: list[str] = []
    page.on("request", lambda request: sent_to.append(f"{request.method} {request.url}"))
    throttle_uploads(page, FILE_SIZE)
    seen: set[int] = set()
    # One file after the other: pytest-django's in-memory SQLite refuses
    # concurrent writers outright (tests/integration/test_sharing_races.py
    # races them on real databases).
    for n in (1, 2):
        scan = {"name": f"scan-{n}.bin", "mimeType": "application/octet-stream"}
        page.set_input_files("input[type=file]", {**scan, "buffer": bytes([n]) * FILE_SIZE})
        seen |= watch_queue(page, finished=n)
    throttle_uploads(page, -1)
    page.screenshot(path=screenshots / "21-drop-box.png", full_page=True)
    assert [v for v in seen if 0 < v < 100], seen
    items = page.locator("#upload-queue li")
    classes = sorted(items.evaluate_all("items => items.map((item) => item.className)"))
    assert classes == ["done", "failed"]
    failed = page.locator("#upload-queue li.failed .q-status").inner_text()
    assert failed == "This drop box cannot take more files right now.", failed
    [stored] = UploadedFile.objects.filter(folder=inbox)
    assert stored.owner == alice
    assert Drop.objects.get().dropped_by == "Dana"  # sent as tus Upload-Metadata
    # Resumable (tus), at the link's own endpoint: creations, never the one-request form.
    assert any(sent.startswith(f"POST {page.url}tus/") for sent in sent_to), sent_to
    assert not any("/drop/" in sent for sent in sent_to), sent_to
