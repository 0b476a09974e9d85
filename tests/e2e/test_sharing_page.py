"""The owner's sharing page and the public link pages, in a real Chromium.

Make a link, copy it, see its QR code, revoke it after the confirmation; a
visitor sees an image link's preview and a PDF link's viewer button. Under the
strict Content-Security-Policy with no complaint in the console; at 360 px
nothing scrolls sideways. Screenshots go to var/test-output/.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from accounts.models import User
from files.models import Link, UploadedFile
from files.sharing import grants
from files.tests.utils import image_bytes
from files.uploads import intake
from tests.e2e.test_folders_and_uploads import (
    PHONE,
    log_in,
    no_horizontal_scroll,
    watch_policy_violations,
)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PDF = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"


def store(owner: User, name: str, content: bytes) -> UploadedFile:
    [stored] = intake.store_uploads(
        owner, [intake.accept_incoming(SimpleUploadedFile(name, content))]
    )
    return stored


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"]
)
def test_a_link_is_made_copied_and_revoked(
    browser, live_server, screenshots: Path, viewport
) -> None:
    User.objects.create_user("alice", password="alice's passphrase")
    alice = User.objects.get(username="alice")
    photo = store(alice, "beach.png", image_bytes(size=(64, 48)))
    grants.share(photo, User.objects.create_user("bob"), label="bob")
    size = "desktop" if viewport["width"] > PHONE["width"] else "phone"
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    # The Clipboard API asks first; a real user's click is the permission.
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.url)
    page = context.new_page()
    page.set_default_timeout(10_000)
    blocked = watch_policy_violations(page)
    try:
        log_in(page, "alice", "alice's passphrase")
        page.goto(f"/files/{photo.pk}/sharing/")
        form = page.locator("details.new-link form")
        assert not form.is_visible()  # folded until asked for
        page.click("summary:has-text('New link…')")
        page.fill("input[name=label]", "For the printer")
        page.click("button:has-text('Create link')")

        address = page.locator("#new-link-url")
        url = address.input_value()
        assert re.fullmatch(rf"{re.escape(live_server.url)}/s/[A-Za-z0-9_-]{{43}}/", url), url
        qr = page.locator("figure.qr svg")
        assert qr.is_visible()
        box = qr.bounding_box()
        assert box is not None and box["width"] >= 100
        copy = page.locator("button.copy")
        copy.click()
        status = page.locator(".copy-row [aria-live=polite]")
        # The clipboard answers asynchronously: wait for the announcement, then read it.
        page.wait_for_function(
            "() => document.querySelector('.copy-row [aria-live=polite]').textContent !== ''"
        )
        assert status.inner_text() == "Copied"
        assert page.evaluate("navigator.clipboard.readText()") == url
        page.screenshot(path=screenshots / f"30-sharing-new-link-{size}.png", full_page=True)
        assert no_horizontal_scroll(page), "the sharing page scrolls sideways"

        # Shown once: the next visit has the link in the table, not its address.
        page.goto(f"/files/{photo.pk}/sharing/")
        assert page.locator("#new-link-url").count() == 0
        page.click("a:has-text('Revoke…')")
        assert page.locator("h1").inner_text() == "Revoke the link “For the printer”?"
        page.screenshot(path=screenshots / f"31-sharing-confirm-revoke-{size}.png", full_page=True)
        assert no_horizontal_scroll(page), "the confirmation scrolls sideways"
        page.click("main button:has-text('Revoke')")
        page.wait_for_selector("text=Revoked the link “For the printer”.")
        assert Link.objects.get().revoked is not None
        assert page.locator("table.links").inner_text().count("revoked") == 1
        page.screenshot(path=screenshots / f"32-sharing-revoked-{size}.png", full_page=True)
        assert no_horizontal_scroll(page)

        page.click("a:has-text('Remove access…')")
        page.click("main a:has-text('Cancel')")  # changes nothing
        assert page.locator("ul.shares li").count() == 1
        page.click("a:has-text('Remove access…')")
        page.click("main button:has-text('Remove access')")
        page.wait_for_selector("text=Only you.")
        assert blocked == [], "the Content-Security-Policy blocked something"
    finally:
        context.close()


def test_without_javascript_the_link_form_still_works(page_without_js, screenshots: Path) -> None:
    User.objects.create_user("alice", password="alice's passphrase")
    photo = store(User.objects.get(username="alice"), "beach.png", image_bytes())
    page = page_without_js
    log_in(page, "alice", "alice's passphrase")
    page.goto(f"/files/{photo.pk}/sharing/")
    page.click("summary:has-text('New link…')")
    page.click("button:has-text('Create link')")
    assert page.locator("#new-link-url").input_value().startswith("http")
    # No script: no Copy button that would do nothing; the address can be selected.
    assert not page.locator("button.copy").is_visible()
    assert page.locator("figure.qr svg").is_visible()


@pytest.mark.parametrize(
    "viewport", [{"width": 1280, "height": 800}, PHONE], ids=["desktop", "phone"]
)
def test_a_visitor_sees_an_image_and_a_pdf_preview(
    browser, live_server, screenshots: Path, viewport
) -> None:
    alice = User.objects.create_user("alice", password="password")
    photo = store(alice, "beach.png", image_bytes(size=(640, 480)))
    report = store(alice, "report.pdf", PDF)
    assert report.content_type == "application/pdf"
    _, photo_token = grants.create_link(photo, label="The beach")
    _, report_token = grants.create_link(report)
    size = "desktop" if viewport["width"] > PHONE["width"] else "phone"
    context = browser.new_context(base_url=live_server.url, viewport=viewport)
    page = context.new_page()
    page.set_default_timeout(10_000)
    blocked = watch_policy_violations(page)
    try:
        page.goto(f"/s/{photo_token}/")
        image = page.locator("section.preview img")
        image.wait_for()
        page.wait_for_function("document.querySelector('section.preview img').complete")
        assert image.evaluate("img => img.naturalWidth") == 640
        assert image.get_attribute("src") == f"/s/{photo_token}/preview/{photo.pk}/"
        page.screenshot(path=screenshots / f"33-link-image-preview-{size}.png", full_page=True)
        assert no_horizontal_scroll(page)

        page.goto(f"/s/{report_token}/")
        viewer = page.locator("section.preview a:has-text('Open the PDF')")
        href = viewer.get_attribute("href")
        assert href == f"/s/{report_token}/preview/{report.pk}/"
        response = page.request.get(href)
        assert response.status == 200
        assert response.headers["content-type"] == "application/pdf"
        assert response.headers["content-disposition"].startswith("inline;")
        assert response.body() == PDF
        page.screenshot(path=screenshots / f"34-link-pdf-preview-{size}.png", full_page=True)
        assert no_horizontal_scroll(page)
        assert blocked == [], "the Content-Security-Policy blocked something"
    finally:
        context.close()
