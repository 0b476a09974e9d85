"""Folders, live uploads and the look, in a real Chromium (issue 7, parts 1, 2 and 5).

One person's session, in order: sign up, nest folders, drop three files on a
throttled link and watch their progress, cancel one, rename, move, download,
delete a non-empty folder; then the same pages on a phone and in dark mode.
Screenshots go to var/test-output/.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from accounts.models import User
from files.models import Folder, UploadedFile
from files.sharing import grants
from tests.e2e.test_browser import sign_up

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The narrowest phone the README promises to fit.
PHONE = {"width": 360, "height": 780}
# Slow enough that a 300 KB file takes about a second: the bars must be seen moving.
UPLOAD_BYTES_PER_SECOND = 300_000


def throttle_uploads(page, bytes_per_second: int) -> None:
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send(
        "Network.emulateNetworkConditions",
        {
            "offline": False,
            "latency": 0,
            "downloadThroughput": -1,
            "uploadThroughput": bytes_per_second,
        },
    )


def drop_files(page, selector: str, files: dict[str, bytes]) -> None:
    """Drop `files` onto `selector` as a person dragging them from their desktop would."""
    payload = [[name, base64.b64encode(data).decode()] for name, data in files.items()]
    transfer = page.evaluate_handle(
        """(files) => {
            const transfer = new DataTransfer();
            for (const [name, b64] of files) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                transfer.items.add(new File([bytes], name));
            }
            return transfer;
        }""",
        payload,
    )
    for event in ("dragenter", "dragover", "drop"):
        page.dispatch_event(selector, event, {"dataTransfer": transfer})


def watch_policy_violations(page) -> list[str]:
    """The console's Content-Security-Policy complaints, collected as the page is used."""
    blocked: list[str] = []
    page.on(
        "console",
        lambda message: (
            blocked.append(message.text) if "Content Security Policy" in message.text else None
        ),
    )
    return blocked


def no_horizontal_scroll(page) -> bool:
    # Against the device's width, not window.innerWidth: a phone's layout
    # viewport grows to fit a page that is too wide, and would hide the fault.
    width = page.evaluate("document.documentElement.scrollWidth")
    return width <= page.viewport_size["width"]


def row(page, name: str):
    return page.locator("table.files tbody tr", has_text=name)


def test_folders_uploads_with_progress_and_the_whole_round_trip(
    page, tmp_path: Path, screenshots: Path
):
    sign_up(page, "alice", "a long enough passphrase")
    page.wait_for_url(re.compile(r"/files/$"))
    assert page.locator("text=No files yet.").is_visible()
    page.screenshot(path=screenshots / "01-empty.png", full_page=True)

    # A nested folder: Projects / 2026.
    page.click("summary:has-text('New folder')")
    page.fill("#new-folder-name", "Projects")
    page.click("button:has-text('Create folder')")
    assert page.locator(".messages").inner_text() == "Created folder Projects."
    page.click("table.files a:has-text('Projects')")
    page.click("summary:has-text('New folder')")
    page.fill("#new-folder-name", "2026")
    page.click("button:has-text('Create folder')")
    page.click("table.files a:has-text('2026')")
    assert page.locator(".breadcrumb li").all_inner_texts() == ["My files", "Projects", "2026"]
    year = Folder.objects.get(name="2026")
    assert page.url.endswith(f"/files/folders/{year.pk}/")
    assert year.parent == Folder.objects.get(name="Projects")
    assert page.locator("text=This folder is empty.").is_visible()

    # Three files dropped onto the list, on a slow link; the biggest one is cancelled.
    small = bytes(range(256)) * 1200  # 300 KB
    medium = b"m" * 450_000
    big = b"b" * 6_000_000
    throttle_uploads(page, UPLOAD_BYTES_PER_SECOND)
    drop_files(page, "#listing", {"small.bin": small, "medium.bin": medium, "big.bin": big})
    queue = page.locator("#upload-queue li")
    assert queue.count() == 3
    seen: dict[str, set[int]] = {"small.bin": set(), "medium.bin": set(), "big.bin": set()}
    statuses: set[str] = set()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        state = page.evaluate(
            """() => [...document.querySelectorAll('#upload-queue li')].map((li) => [
                li.querySelector('.q-name').textContent,
                li.querySelector('progress') ? li.querySelector('progress').value : -1,
                li.querySelector('.q-status').textContent,
                li.className,
            ])"""
        )
        for name, value, status, _ in state:
            if value >= 0:
                seen[name].add(int(value))
            statuses.add(status)
        if {"done"} == {cls for name, _, _, cls in state if name != "big.bin"}:
            break
        if len(seen["big.bin"] - {0}) >= 1 and page.locator("#upload-queue li.running").count():
            page.screenshot(path=screenshots / "02-uploading.png", full_page=True)
        time.sleep(0.1)
    page.screenshot(path=screenshots / "02-uploading.png", full_page=True)
    # Each small file's bar passed through values strictly between 0 and 100.
    for name in ("small.bin", "medium.bin"):
        assert [v for v in seen[name] if 0 < v < 100], (name, seen[name])
    assert any(re.fullmatch(r"\d+% · [\d.]+\xa0(KB|MB)/s", s) for s in statuses), statuses
    # The big one is still going: cancel it.
    big_item = page.locator("#upload-queue li", has_text="big.bin")
    assert "running" in big_item.get_attribute("class")
    big_item.locator("button:has-text('Cancel')").click()
    assert big_item.locator(".q-status").inner_text() == "Cancelled"
    throttle_uploads(page, -1)

    # The list refreshes itself with the two that arrived.
    page.wait_for_selector("table.files tbody tr >> text=medium.bin")
    assert sorted(f.name for f in UploadedFile.objects.filter(folder=year)) == [
        "medium.bin",
        "small.bin",
    ]
    assert not UploadedFile.objects.filter(name="big.bin").exists()
    page.screenshot(path=screenshots / "03-uploaded.png", full_page=True)

    # A name with quotes, picked with the file chooser (Chromium sends it as %22).
    quoted = tmp_path / 'say "hi".txt'
    quoted.write_bytes(b"hi\n")
    page.set_input_files("#upload-files", quoted)
    page.wait_for_selector('table.files tbody tr >> text=say "hi".txt')
    page.click("table.files a:has-text('say \"hi\".txt')")
    assert page.locator("h1").inner_text() == 'say "hi".txt'
    with page.expect_download() as info:
        page.click("a.button:has-text('Download')")
    # Chromium parsed the quoted-string (a backslash left in would be one more
    # "_"), then wrote `"` as "_", as it does on every system for portability.
    assert info.value.suggested_filename == "say _hi_.txt"
    assert Path(info.value.path()).read_bytes() == b"hi\n"
    sent = page.request.get(page.locator("a.button:has-text('Download')").get_attribute("href"))
    assert sent.headers["content-disposition"] == (
        "attachment; filename=\"say_hi_.txt\"; filename*=utf-8''say%20%22hi%22.txt"
    )

    # Rename a file, then move it to the top level.
    page.go_back()
    page.click("table.files a:has-text('small.bin')")
    page.fill("input[name=name]", "renamed.bin")
    page.click("button:has-text('Rename')")
    assert page.locator(".messages").inner_text() == "Renamed to renamed.bin."
    page.select_option("select[name=target]", label="Top level")
    page.click("button:has-text('Move')")
    assert page.locator(".messages").inner_text() == "Moved renamed.bin to the top level."
    assert page.url.endswith("/files/")

    # Download it: the bytes are the ones dropped.
    with page.expect_download() as info:
        row(page, "renamed.bin").locator(".row-menu-button").click()
        row(page, "renamed.bin").locator("[role=menuitem]:has-text('Download')").click()
    assert info.value.suggested_filename == "renamed.bin"
    assert hashlib.sha256(Path(info.value.path()).read_bytes()).digest() == (
        hashlib.sha256(small).digest()
    )

    # Move several files at once: select, choose the folder, move.
    page.click("table.files a:has-text('Projects')")
    page.click("table.files a:has-text('2026')")
    for name in ("medium.bin", 'say "hi".txt'):
        row(page, name).locator("input[type=checkbox]").check()
    page.select_option("#move-target", label="Projects")
    page.click("#move-form button:has-text('Move')")
    assert page.locator(".messages").inner_text() == "Moved 2 files to “Projects”."

    # Move the (now empty) 2026 folder to the top level, and refuse a cycle.
    page.click("table.files a:has-text('2026')")
    page.click(".toolbar a:has-text('Move')")
    page.select_option("select[name=target]", label="Top level")
    page.click("main button:has-text('Move')")
    assert page.locator(".messages").inner_text() == "Moved 2026 to the top level."
    assert page.locator(".breadcrumb li").all_inner_texts() == ["My files", "2026"]

    # Delete the non-empty Projects folder: it says what goes first.
    page.goto("/files/")
    page.click("table.files a:has-text('Projects')")
    stored = list(UploadedFile.objects.filter(folder__name="Projects"))
    paths = [Path(f.file.path) for f in stored]
    assert len(paths) == 2 and all(p.exists() for p in paths)
    page.click(".toolbar a:has-text('Delete…')")
    warning = page.locator(".warning").inner_text()
    assert "2 files" in warning and "439.5 KB" in warning.replace("\xa0", " ")
    page.screenshot(path=screenshots / "04-delete-folder.png", full_page=True)
    page.click("main button:has-text('Delete everything')")
    assert page.locator(".messages").inner_text() == "Moved folder Projects to the trash."
    assert not Folder.objects.filter(name="Projects", trashed_at=None).exists()
    assert all(p.exists() for p in paths)  # in the trash until it is emptied
    page.click("header a:has-text('Trash')")
    page.click("button:has-text('Empty trash')")
    assert page.locator(".messages").inner_text() == "Emptied the trash."
    assert not Folder.objects.filter(name="Projects").exists()
    assert not any(p.exists() for p in paths)
    assert [f.name for f in UploadedFile.objects.all()] == ["renamed.bin"]
    page.goto("/files/")
    page.screenshot(path=screenshots / "05-after-delete.png", full_page=True)


@pytest.fixture
def furnished(db) -> User:
    """An account with folders and files whose names are long enough to test the layout."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from files.folders import tree
    from files.uploads import intake

    owner = User.objects.create_user("dora", password="dora's passphrase")
    top = tree.create_folder(owner, None, "Holiday photos from the summer of 2026")
    tree.create_folder(owner, top, "Day one")
    for name in [
        "a-very-long-file-name-without-any-spaces-that-must-wrap-somewhere.pdf",
        "notes.txt",
        "budget 2026 (final, really final).xlsx",
    ]:
        incoming = SimpleUploadedFile(name, b"x" * 2048)
        intake.store_uploads(owner, [intake.accept_incoming(incoming)], top)
    return owner


def log_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    page.click("main button:has-text('Log in')")
    page.wait_for_url(re.compile(r"/files/$"))


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_every_page_fits_a_phone_in_light_and_dark(
    browser, live_server, furnished: User, screenshots: Path, scheme: str
):
    context = browser.new_context(
        base_url=live_server.url, viewport=PHONE, color_scheme=scheme, is_mobile=True
    )
    page = context.new_page()
    page.set_default_timeout(10_000)
    blocked = watch_policy_violations(page)
    try:
        log_in(page, "dora", "dora's passphrase")
        folder = Folder.objects.get(parent=None, owner=furnished)
        stored = UploadedFile.objects.filter(owner=furnished).first()
        assert stored is not None
        # The sharing pages with something in their tables: a person and a link.
        grants.share(folder, User.objects.create_user("ellen"))
        grants.create_link(
            folder, label="For the family", expires=timezone.now() + timedelta(days=3)
        )
        pages = {
            "top": "/files/",
            "folder": folder.get_absolute_url(),
            "grid": f"{folder.get_absolute_url()}?view=grid",
            "search": "/files/?q=a",
            "file": stored.get_absolute_url(),
            "upload": f"/files/folders/{folder.pk}/upload/",
            "delete-folder": f"/files/folders/{folder.pk}/delete/",
            "profile": "/accounts/profile/",
            "file-sharing": f"/files/{stored.pk}/sharing/",
            "folder-sharing": f"/files/folders/{folder.pk}/sharing/",
            "tokens": "/accounts/tokens/",
            "password": "/accounts/password/",
            "shared": "/files/shared/",
        }
        for name, url in pages.items():
            page.goto(url)
            page.screenshot(path=screenshots / f"phone-{scheme}-{name}.png", full_page=True)
            assert no_horizontal_scroll(page), f"{name} scrolls sideways at 360 px"
        assert blocked == [], "the Content-Security-Policy blocked something"
        background = page.evaluate("getComputedStyle(document.body).backgroundColor")
        if scheme == "dark":
            assert background == "rgb(13, 17, 23)"
        else:
            assert background == "rgb(255, 255, 255)"
    finally:
        context.close()


def test_on_a_phone_the_navigation_folds_into_a_menu(browser, live_server, furnished: User):
    context = browser.new_context(base_url=live_server.url, viewport=PHONE, is_mobile=True)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        log_in(page, "dora", "dora's passphrase")
        # The header is one line: the list's page starts right under it.
        assert page.evaluate("document.querySelector('main').getBoundingClientRect().top") < 70
        shared = page.locator("header nav a:has-text('Shared with me')")
        assert not shared.is_visible()
        page.click("summary:has-text('Menu')")
        assert shared.is_visible()
        page.keyboard.press("Escape")
        assert not shared.is_visible()
        page.click("summary:has-text('Menu')")
        shared.click()
        page.wait_for_url(re.compile(r"/files/shared/$"))
    finally:
        context.close()


def test_on_a_desktop_the_navigation_is_always_shown(page, furnished: User):
    log_in(page, "dora", "dora's passphrase")

    assert page.locator("header nav a:has-text('Shared with me')").is_visible()
    assert not page.locator("summary:has-text('Menu')").is_visible()


def test_keyboard_focus_is_visible(page, furnished: User):
    log_in(page, "dora", "dora's passphrase")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Skip to content"
    page.keyboard.press("Tab")
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    assert outline == "solid"


def test_a_picked_folder_recreates_its_tree(page, furnished: User, tmp_path: Path):
    trip = tmp_path / "Trip"
    (trip / "Day 1").mkdir(parents=True)
    (trip / "Day 1" / "a.txt").write_text("a")
    (trip / "b.txt").write_text("b")
    log_in(page, "dora", "dora's passphrase")
    target = Folder.objects.get(parent=None, owner=furnished)
    page.goto(target.get_absolute_url())
    page.set_input_files("#upload-folder", trip)
    page.wait_for_selector("table.files a:has-text('Trip')")
    assert page.locator("#upload-queue li.done").count() == 2
    made = Folder.objects.get(name="Trip", parent=target)
    day = Folder.objects.get(name="Day 1", parent=made)
    assert [f.name for f in made.files.all()] == ["b.txt"]
    assert [f.name for f in day.files.all()] == ["a.txt"]
