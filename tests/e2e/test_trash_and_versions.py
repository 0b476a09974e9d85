"""The trash and versions in a real Chromium (issue 16): nothing lost by one click.

Delete a file, find it in the trash with its original place, restore it;
upload over a name choosing "Replace", then download the older version from
the file's page. Screenshots go to var/test-output/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from files.folders import tree
from files.models import UploadedFile
from files.uploads import intake
from tests.e2e.test_browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
PASSWORD = "a long enough passphrase"


@pytest.fixture
def alice_signed_up(db: None) -> User:
    return User.objects.create_user("alice", "alice@example.org", PASSWORD)


def store(owner: User, name: str, content: bytes, folder: object = None) -> UploadedFile:
    described = intake.describe_upload(SimpleUploadedFile(name, content), name)
    [stored] = intake.store_uploads(owner, [described], folder)
    return stored


def test_delete_find_it_in_the_trash_and_restore_it(
    page, alice_signed_up: User, screenshots: Path
) -> None:
    projects = tree.create_folder(alice_signed_up, None, "Projects")
    plan = store(alice_signed_up, "plan.txt", b"the plan", projects)
    log_in(page, "alice", PASSWORD)
    page.wait_for_url(re.compile(r"/files/$"))

    page.goto(f"/files/folders/{projects.pk}/")
    page.click("table.files a:has-text('plan.txt')")
    page.click("a:has-text('Delete…')")
    assert "trash" in page.locator("main p").first.inner_text()
    page.click("main button:has-text('Delete')")
    page.wait_for_url(re.compile(rf"/files/folders/{projects.pk}/$"))
    assert page.locator(".messages").inner_text() == "Moved plan.txt to the trash."
    assert page.locator("table.files a:has-text('plan.txt')").count() == 0

    page.click("header a:has-text('Trash')")
    entry = page.locator("table.trash tbody tr", has_text="plan.txt")
    assert "Projects" in entry.inner_text()
    assert "8\xa0bytes" in entry.inner_text()
    page.screenshot(path=screenshots / "16-trash.png", full_page=True)
    entry.locator("button:has-text('Restore')").click()
    assert page.locator(".messages").inner_text() == "Restored plan.txt to “Projects”."
    assert page.locator("text=The trash is empty.").is_visible()

    page.goto(f"/files/folders/{projects.pk}/")
    assert page.locator("table.files a:has-text('plan.txt')").count() == 1
    plan.refresh_from_db()
    assert (plan.folder, plan.trashed_at) == (projects, None)


def test_replace_on_upload_then_download_the_older_version(
    page, alice_signed_up: User, tmp_path: Path, screenshots: Path
) -> None:
    original = store(alice_signed_up, "report.txt", b"first version\n")
    log_in(page, "alice", PASSWORD)
    page.wait_for_url(re.compile(r"/files/$"))

    newer = tmp_path / "report.txt"
    newer.write_bytes(b"second version, longer\n")
    page.goto("/files/upload/")
    page.check("input[name=on_conflict][value=replace]")
    page.set_input_files("input[name=file]", [newer])  # the uploader starts at once
    page.locator("#upload-queue li.done").wait_for()
    assert UploadedFile.objects.count() == 1  # replaced, not numbered

    page.goto(f"/files/{original.pk}/")
    versions = page.locator("table.versions tbody tr")
    assert versions.count() == 2  # the current one and the older one
    page.screenshot(path=screenshots / "16-versions.png", full_page=True)
    with page.expect_download() as info:
        versions.nth(1).locator("a:has-text('Download')").click()
    older = info.value
    assert older.suggested_filename == "report.txt"
    assert Path(older.path()).read_bytes() == b"first version\n"
    with page.expect_download() as info:
        page.click("p.actions a:has-text('Download')")
    assert Path(info.value.path()).read_bytes() == b"second version, longer\n"

    # Restore the older one: it is current again, the newer one a version.
    versions.nth(1).locator("button:has-text('Restore')").click()
    assert "Restored the version" in page.locator(".messages").inner_text()
    original.refresh_from_db()
    assert original.size == len(b"first version\n")
