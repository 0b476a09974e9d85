"""What a person does in a browser, end to end, in a real Chromium."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest

from accounts.models import User
from files.models import UploadedFile

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_up(page, username: str, password: str) -> None:
    page.goto("/accounts/signup/")
    page.fill("input[name=username]", username)
    page.fill("input[name=email]", f"{username}@example.org")
    page.fill("input[name=password1]", password)
    page.fill("input[name=password2]", password)
    page.click("button:has-text('Sign up')")


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button:has-text('Log in')")


def log_out(page) -> None:
    page.click("header button:has-text('Log out')")
    page.wait_for_url(re.compile(r"/accounts/login/$"))


def test_without_javascript_a_new_user_signs_up_uploads_renames_downloads_and_deletes(
    page_without_js, tmp_path: Path
):
    page = page_without_js
    sign_up(page, "alice", "a long enough passphrase")
    page.wait_for_url(re.compile(r"/files/$"))
    assert page.locator("text=No files yet").is_visible()

    report = tmp_path / "rapport d’été 2026.txt"
    report.write_bytes("résumé\n".encode() * 100)
    notes = tmp_path / "notes.md"
    notes.write_text("# notes\n")
    page.click("text=Upload files")
    page.set_input_files("input[name=file]", [report, notes])
    page.click("main button:has-text('Upload')")

    page.wait_for_url(re.compile(r"/files/$"))
    assert page.locator(".messages").inner_text() == "Uploaded 2 files."
    rows = page.locator("table.files tbody tr")
    assert rows.count() == 2
    assert "rapport d’été 2026.txt" in rows.all_inner_texts()[0] + rows.all_inner_texts()[1]

    page.click("text=rapport d’été 2026.txt")
    page.fill("input[name=name]", "summer report.txt")
    page.click("button:has-text('Rename')")
    assert page.locator("h1").inner_text() == "summer report.txt"

    with page.expect_download() as info:
        page.click("a:has-text('Download')")
    download = info.value
    assert download.suggested_filename == "summer report.txt"
    saved = hashlib.sha256(Path(download.path()).read_bytes()).hexdigest()
    assert saved == hashlib.sha256(report.read_bytes()).hexdigest()

    stored = UploadedFile.objects.get(name="summer report.txt")
    stored_path = Path(stored.file.path)
    page.click("text=Delete…")
    page.click("main button:has-text('Delete')")
    page.wait_for_url(re.compile(r"/files/$"))
    assert page.locator(".messages").inner_text() == "Moved summer report.txt to the trash."
    assert page.locator("table.files tbody tr").count() == 1
    assert stored_path.exists()  # in the trash until deleted forever

    page.click("header a:has-text('Trash')")
    page.click("table.trash tr:has-text('summer report.txt') button:has-text('Delete forever')")
    assert page.locator(".messages").inner_text() == "Deleted summer report.txt forever."
    assert not UploadedFile.objects.filter(pk=stored.pk).exists()
    assert not stored_path.exists()


def test_a_user_logs_out_logs_in_and_changes_password(page):
    sign_up(page, "bob", "first long passphrase")
    page.wait_for_url(re.compile(r"/files/$"))
    log_out(page)
    page.goto("/files/")
    assert page.url.endswith("/accounts/login/?next=/files/")

    log_in(page, "bob", "first long passphrase")
    page.wait_for_url(re.compile(r"/files/$"))
    page.click("header a:has-text('bob')")
    page.click("text=Change password")
    page.fill("input[name=old_password]", "first long passphrase")
    page.fill("input[name=new_password1]", "second long passphrase")
    page.fill("input[name=new_password2]", "second long passphrase")
    page.click("button:has-text('Change password')")
    assert page.locator("h1").inner_text() == "Password changed"

    log_out(page)
    log_in(page, "bob", "first long passphrase")
    assert page.locator(".errors").is_visible()
    log_in(page, "bob", "second long passphrase")
    page.wait_for_url(re.compile(r"/files/$"))


def test_another_user_cannot_open_a_file_page(page_without_js, tmp_path: Path):
    page = page_without_js
    owner = User.objects.create_user("carol", password="carol's passphrase")
    User.objects.create_user("dave", password="dave's passphrase")
    secret = tmp_path / "secret.txt"
    secret.write_text("mine")
    log_in(page, "carol", "carol's passphrase")
    page.goto("/files/upload/")
    page.set_input_files("input[name=file]", secret)
    page.click("main button:has-text('Upload')")
    upload = UploadedFile.objects.get(owner=owner)
    log_out(page)

    log_in(page, "dave", "dave's passphrase")
    for url in (upload.get_absolute_url(), upload.get_download_url()):
        response = page.goto(url)
        assert response.status == 404
    assert page.goto("/files/").ok
    assert "secret.txt" not in page.content()
