"""The list's actions in a real Chromium (issue 18): row menus by keyboard, selection, no-JS links.

The menu is driven with the keyboard only (Tab, Enter, arrows, Escape), as a
person without a mouse would; every page is watched for CSP complaints.
Screenshots of the list at desktop and phone sizes go to var/test-output/.
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from django.core.files.uploadedfile import SimpleUploadedFile
from playwright.sync_api import expect

from accounts.models import User
from files.folders import tree
from files.models import Folder, Link, UploadedFile
from files.sharing import grants
from files.uploads import intake
from tests.e2e.test_accessibility import DESKTOP, WCAG_21_AA
from tests.e2e.test_folders_and_uploads import (
    PHONE,
    log_in,
    no_horizontal_scroll,
    watch_policy_violations,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def furnish() -> Folder:
    """dora's Holiday/: the folder Day one, then a.txt, b.txt and c.txt (sorted by name)."""
    dora = User.objects.create_user("dora", "dora@example.org", "dora's passphrase")
    holiday = tree.create_folder(dora, None, "Holiday")
    tree.create_folder(dora, holiday, "Day one")
    for name in ("a.txt", "b.txt", "c.txt"):
        incoming = intake.accept_incoming(SimpleUploadedFile(name, name.encode() * 10))
        intake.store_uploads(dora, [incoming], holiday)
    return holiday


def focused_label(page) -> str | None:
    return page.evaluate("document.activeElement.getAttribute('aria-label')")


def focused_text(page) -> str:
    return page.evaluate("document.activeElement.textContent.trim()")


def tab_to(page, label: str) -> None:
    """Press Tab until the element labelled `label` has focus."""
    for _ in range(60):
        page.keyboard.press("Tab")
        if focused_label(page) == label:
            return
    raise AssertionError(f"Tab never reached {label!r}")


def row(page, name: str):
    return page.locator(f"table.files tbody tr[data-name='{name}']")


def test_the_row_menu_by_keyboard_renames_and_deletes_in_place(page, screenshots: Path):
    holiday = furnish()
    blocked = watch_policy_violations(page)
    log_in(page, "dora", "dora's passphrase")
    page.goto(f"{holiday.get_absolute_url()}?sort=name")

    # Tab to the row's menu button; Enter opens the menu on its first item.
    tab_to(page, "Actions for a.txt")
    button = row(page, "a.txt").locator(".row-menu-button")
    assert button.get_attribute("aria-haspopup") == "menu"
    assert button.get_attribute("aria-expanded") == "false"
    page.keyboard.press("Enter")
    assert button.get_attribute("aria-expanded") == "true"
    menu = row(page, "a.txt").locator("[role=menu]")
    assert menu.is_visible()
    items = menu.locator("[role=menuitem]").all_inner_texts()
    assert items == ["Download", "Rename", "Move", "Share…", "Versions", "Delete"]
    assert focused_text(page) == "Download"
    page.keyboard.press("ArrowUp")  # wraps to the last
    assert focused_text(page) == "Delete"
    page.keyboard.press("ArrowDown")
    assert focused_text(page) == "Download"
    page.screenshot(path=screenshots / "list-actions-menu-desktop.png", full_page=True)

    # Escape closes it and gives the focus back to its button.
    page.keyboard.press("Escape")
    assert not menu.is_visible()
    assert focused_label(page) == "Actions for a.txt"

    # Rename, cancelled with Escape: nothing changes.
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    assert focused_text(page) == "Rename"
    page.keyboard.press("Enter")
    field = row(page, "a.txt").locator("input.rename-field")
    assert field.is_visible() and field.evaluate("f => f === document.activeElement")
    page.keyboard.type("never")
    page.keyboard.press("Escape")
    assert field.count() == 0
    assert focused_label(page) == "Actions for a.txt"
    assert row(page, "a.txt").locator("a.item-name").inner_text() == "a.txt"

    # Rename, saved with Enter: the name changes in place, no page load.
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+A")
    page.keyboard.type("alpha.txt")
    page.keyboard.press("Enter")
    renamed = row(page, "alpha.txt")
    renamed.wait_for()
    assert renamed.locator("a.item-name").inner_text() == "alpha.txt"
    assert page.locator("#list-status").inner_text() == "Renamed to alpha.txt."
    assert focused_label(page) == "Actions for alpha.txt"
    assert UploadedFile.objects.filter(folder=holiday, name="alpha.txt").exists()

    # A taken name is refused, and said so; the field stays for another try.
    page.keyboard.press("Enter")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("Enter")
    page.keyboard.press("Control+A")
    page.keyboard.type("b.txt")
    page.keyboard.press("Enter")
    renamed.locator("input.rename-field[aria-invalid=true]").wait_for()
    assert "b.txt" in page.locator("#list-status").inner_text()
    page.keyboard.press("Escape")

    # Delete: End reaches it; the row goes, focus moves to the next row, it is in the trash.
    page.keyboard.press("Enter")
    page.keyboard.press("End")
    assert focused_text(page) == "Delete"
    page.keyboard.press("Enter")
    renamed.wait_for(state="detached")
    assert page.locator("#list-status").inner_text() == "Moved alpha.txt to the trash."
    assert focused_label(page) == "Actions for b.txt"
    gone = UploadedFile.objects.get(name="alpha.txt")
    assert gone.trashed_at is not None
    page.goto("/files/trash/")
    assert page.locator("table.trash", has_text="alpha.txt").is_visible()
    assert blocked == []


def test_a_folder_row_menu_offers_its_zip_and_deletes_in_place(page):
    holiday = furnish()
    log_in(page, "dora", "dora's passphrase")
    page.goto(f"{holiday.get_absolute_url()}?sort=name")
    tab_to(page, "Actions for Day one")
    page.keyboard.press("Enter")
    items = row(page, "Day one").locator("[role=menuitem]").all_inner_texts()
    assert items == ["Download as ZIP", "Rename", "Move", "Share…", "Delete"]
    page.keyboard.press("End")
    page.keyboard.press("Enter")
    row(page, "Day one").wait_for(state="detached")
    assert page.locator("#list-status").inner_text() == "Moved folder Day one to the trash."
    assert focused_label(page) == "Actions for a.txt"
    assert Folder.objects.get(name="Day one").trashed_at is not None


def test_a_selection_downloads_as_one_zip_and_goes_to_the_trash(page, screenshots: Path):
    holiday = furnish()
    blocked = watch_policy_violations(page)
    log_in(page, "dora", "dora's passphrase")
    page.goto(f"{holiday.get_absolute_url()}?sort=name")
    bar = page.locator("#move-form")
    assert not bar.is_visible()  # until something is ticked
    row(page, "Day one").locator("input[type=checkbox]").check()
    row(page, "b.txt").locator("input[type=checkbox]").check()
    assert bar.locator(".selection-count").inner_text() == "2 selected"
    page.screenshot(path=screenshots / "list-actions-selection-desktop.png")

    with page.expect_download() as info:
        bar.locator("button:has-text('Download as ZIP')").click()
    names = zipfile.ZipFile(io.BytesIO(Path(info.value.path()).read_bytes())).namelist()
    assert names == ["Day one/", "b.txt"]

    bar.locator("button:has-text('Delete')").click()
    row(page, "b.txt").wait_for(state="detached")
    row(page, "Day one").wait_for(state="detached")
    assert page.locator("#list-status").inner_text() == "Moved 2 items to the trash."
    assert list(
        page.locator("table.files tbody tr").evaluate_all("rows => rows.map(r => r.dataset.name)")
    ) == [
        "a.txt",
        "c.txt",
    ]
    assert UploadedFile.objects.get(name="b.txt").trashed_at is not None
    assert Folder.objects.get(name="Day one").trashed_at is not None
    assert blocked == []


def test_select_all_and_move_the_selection(page):
    holiday = furnish()
    archive = tree.create_folder(holiday.owner, None, "Archive")
    log_in(page, "dora", "dora's passphrase")
    page.goto(f"{holiday.get_absolute_url()}?sort=name")
    page.locator(".pick-all").check()
    assert page.locator(".selection-count").inner_text() == "4 selected"
    page.select_option("#move-target", label="Archive")
    page.click("#move-form button:has-text('Move')")
    assert page.locator(".messages").inner_text() == "Moved 3 files and 1 folder to “Archive”."
    assert UploadedFile.objects.filter(folder=archive).count() == 3
    assert Folder.objects.get(name="Day one").parent == archive


def test_without_javascript_each_action_is_a_link_to_its_page(page_without_js):
    holiday = furnish()
    page = page_without_js
    log_in(page, "dora", "dora's passphrase")
    page.goto(f"{holiday.get_absolute_url()}?sort=name")
    a = row(page, "a.txt")
    a.locator("summary").click()
    links = a.locator(".row-menu-items a")
    assert links.all_inner_texts() == ["Download", "Rename", "Move", "Share…", "Versions", "Delete"]
    a.locator("a:has-text('Rename')").click()
    page.fill("input[name=name]", "alpha.txt")
    page.click("#rename button:has-text('Rename')")
    assert page.locator("h1").inner_text() == "alpha.txt"

    page.goto(f"{holiday.get_absolute_url()}?sort=name")
    row(page, "b.txt").locator("summary").click()
    row(page, "b.txt").locator("a:has-text('Delete')").click()
    page.click("main button:has-text('Delete')")
    assert page.locator(".messages").inner_text() == "Moved b.txt to the trash."

    row(page, "Day one").locator("summary").click()
    row(page, "Day one").locator("a:has-text('Rename')").click()
    page.fill("input[name=name]", "Day two")
    page.click("main button:has-text('Rename')")
    assert page.locator(".messages").inner_text() == "Renamed Day one to Day two."

    # The selection bar moves without a script; ZIP and Delete need one, so they are not shown.
    page.goto(f"{holiday.get_absolute_url()}?sort=name")
    assert not page.locator("#move-form button:has-text('Download as ZIP')").is_visible()
    row(page, "c.txt").locator("input[type=checkbox]").check()
    page.select_option("#move-target", label="Top level")
    page.click("#move-form button:has-text('Move')")
    assert page.locator(".messages").inner_text() == "Moved c.txt to the top level."


def test_one_upload_button_new_folder_beside_it_and_the_drop_overlay(page, screenshots: Path):
    holiday = furnish()
    blocked = watch_policy_violations(page)
    log_in(page, "dora", "dora's passphrase")
    page.goto(f"{holiday.get_absolute_url()}?sort=name")
    # The browser's "Choose Files" is hidden behind the button (visually-hidden: 1 px).
    assert page.locator("#upload-files").bounding_box()["width"] <= 1
    with page.expect_file_chooser() as chooser:
        page.click("label:has-text('Upload files')")
    chooser.value.set_files([{"name": "d.txt", "mimeType": "text/plain", "buffer": b"d"}])
    row(page, "d.txt").wait_for()
    # The list was fetched again after the upload: the new row has its menu button too.
    assert row(page, "d.txt").locator(".row-menu-button").get_attribute("aria-haspopup") == "menu"
    assert not page.locator("#move-form").is_visible()
    assert page.locator(".drop-hint").first.is_visible()

    page.click("summary:has-text('New folder')")
    expect(
        page.locator("#new-folder-name")
    ).to_be_focused()  # the toggle event comes a moment later
    page.keyboard.type("Day two")
    page.keyboard.press("Enter")
    assert page.locator(".messages").inner_text() == "Created folder Day two."

    page.dispatch_event("#listing", "dragenter")
    assert "dragging" in page.locator("#listing").get_attribute("class")
    page.screenshot(path=screenshots / "list-actions-drop-desktop.png")
    assert blocked == []


@pytest.mark.parametrize("view", ["table", "grid"])
def test_the_list_fits_a_phone_with_its_menus(browser, live_server, screenshots: Path, view: str):
    holiday = furnish()
    context = browser.new_context(base_url=live_server.url, viewport=PHONE)
    page = context.new_page()
    page.set_default_timeout(10_000)
    try:
        blocked = watch_policy_violations(page)
        log_in(page, "dora", "dora's passphrase")
        page.goto(f"{holiday.get_absolute_url()}?sort=name&view={view}")
        assert no_horizontal_scroll(page)
        assert not page.locator(".drop-hint").first.is_visible()
        page.screenshot(path=screenshots / f"list-actions-{view}-phone.png", full_page=True)
        button = page.locator(".item[data-name='c.txt'] .row-menu-button")
        button.click()
        menu = page.locator(".item[data-name='c.txt'] [role=menu]")
        assert menu.is_visible()
        box = menu.bounding_box()
        assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
        assert no_horizontal_scroll(page)
        page.screenshot(path=screenshots / f"list-actions-{view}-phone-menu.png", full_page=True)
        page.keyboard.press("Escape")
        page.locator(".item[data-name='c.txt'] input[type=checkbox]").check()
        assert page.locator("#move-form").is_visible()
        assert no_horizontal_scroll(page)
        page.screenshot(path=screenshots / f"list-actions-{view}-phone-selection.png")
        assert blocked == []
    finally:
        context.close()


def test_the_grid_at_desktop(browser, live_server, screenshots: Path):
    holiday = furnish()
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP)
    page = context.new_page()
    try:
        log_in(page, "dora", "dora's passphrase")
        page.goto(f"{holiday.get_absolute_url()}?sort=name&view=grid")
        page.locator(".item[data-name='a.txt'] .row-menu-button").click()
        page.locator(".item[data-name='a.txt'] [role=menuitem]:has-text('Rename')").click()
        field = page.locator(".item[data-name='a.txt'] input.rename-field")
        field.fill("alpha.txt")
        field.press("Enter")
        page.locator(".item[data-name='alpha.txt'] .tile-name").wait_for()
        assert page.locator(".item[data-name='alpha.txt'] .tile-name").inner_text() == "alpha.txt"
        page.screenshot(path=screenshots / "list-actions-grid-desktop.png", full_page=True)
        assert re.search(r"Renamed to alpha\.txt", page.locator("#list-status").inner_text())
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_an_open_menu_and_a_rename_field_have_no_accessibility_violation(
    browser, live_server, scheme: str
):
    holiday = furnish()
    context = browser.new_context(base_url=live_server.url, viewport=DESKTOP, color_scheme=scheme)
    page = context.new_page()
    try:
        log_in(page, "dora", "dora's passphrase")
        page.goto(f"{holiday.get_absolute_url()}?sort=name")
        axe = Axe()
        row(page, "a.txt").locator("input[type=checkbox]").check()  # the selection bar shows
        row(page, "a.txt").locator(".row-menu-button").click()
        found = axe.run(page, options=WCAG_21_AA).response["violations"]
        page.keyboard.press("ArrowDown")
        page.keyboard.press("Enter")  # Rename: the name becomes a field
        row(page, "a.txt").locator("input.rename-field").wait_for()
        found += axe.run(page, options=WCAG_21_AA).response["violations"]
        assert found == [], [(v["id"], [n["html"][:120] for n in v["nodes"][:3]]) for v in found]
    finally:
        context.close()


def test_a_drop_page_names_the_resumable_limit(page, settings) -> None:
    """uploader.js rewrites `.upload-limit` wherever a form sends through tus: a drop link's too."""
    settings.PORTAL_MAX_FILE_SIZE = 50 * 1024**3
    holiday = furnish()
    _, token = grants.create_link(holiday, kind=Link.Kind.DROP)
    page.goto(f"/s/{token}/")
    assert page.locator("#upload-form .upload-limit").inner_text() == "up to 50.0\xa0GB each"
