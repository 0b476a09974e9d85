"""Thumbnails and previews in a real Chromium (issue 7, parts 3 and 4).

alice drops a phone photo stored sideways (EXIF orientation 6, with a GPS
position), a text file and a PDF; the grid shows the photo's thumbnail
upright; bob gets 404 for its URL; the file pages preview the text (escaped),
the PDF (in the browser's own viewer) and the image. Screenshots go to
var/test-output/. Tasks run at once here (the immediate backend), so the
thumbnail exists as soon as the upload has committed.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from accounts.models import User
from files.models import UploadedFile
from files.tests.utils import PDF_BYTES, photo_bytes
from tests.e2e.test_browser import sign_up
from tests.e2e.test_folders_and_uploads import drop_files, log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# The colour of the thumbnail's top and bottom rows, read back through a canvas.
_EDGE_COLOURS = """(img) => {
    const canvas = document.createElement("canvas");
    canvas.width = img.naturalWidth;
    canvas.height = img.naturalHeight;
    const context = canvas.getContext("2d");
    context.drawImage(img, 0, 0);
    const middle = Math.floor(img.naturalWidth / 2);
    const at = (y) => Array.from(context.getImageData(middle, y, 1, 1).data.slice(0, 3));
    return {width: img.naturalWidth, height: img.naturalHeight,
            top: at(5), bottom: at(img.naturalHeight - 5)};
}"""
NOTES = "Shopping <list> & <script>alert(1)</script>\n"


def test_thumbnails_in_the_grid_and_previews_of_text_pdf_and_image(
    page, browser, live_server, screenshots: Path
):
    bob = User.objects.create_user("bob", password="bob's long passphrase")
    sign_up(page, "alice", "a long enough passphrase")
    page.wait_for_url(re.compile(r"/files/$"))
    dropped = {
        "sideways.jpg": photo_bytes((1200, 800), orientation=6),
        "notes.txt": NOTES.encode(),
        "report.pdf": PDF_BYTES,
    }
    drop_files(page, "#listing", dropped)
    for name in dropped:
        page.wait_for_selector(f"table.files tbody tr >> text={name}")
    photo = UploadedFile.objects.get(name="sideways.jpg")
    assert photo.thumbnail

    # The grid: the photo's thumbnail, upright (red on top), the others an icon.
    page.click("a:has-text('Grid')")
    thumbnail = page.locator("img.thumb")
    assert thumbnail.count() == 1
    thumbnail.evaluate("(img) => img.decode()")
    edges = thumbnail.evaluate(_EDGE_COLOURS)
    assert (edges["width"], edges["height"]) == (171, 256)
    assert edges["top"][0] > 200 and edges["top"][2] < 60, edges
    assert edges["bottom"][2] > 200 and edges["bottom"][0] < 60, edges
    page.screenshot(path=screenshots / "thumbnails-grid.png", full_page=True)
    thumbnail_url = thumbnail.get_attribute("src")
    assert thumbnail_url == f"/files/{photo.pk}/thumbnail/"

    # Another user: the thumbnail does not exist for him.
    context = browser.new_context(base_url=live_server.url)
    try:
        other = context.new_page()
        log_in(other, bob.username, "bob's long passphrase")
        assert other.goto(thumbnail_url).status == 404
        assert other.goto(photo.get_preview_url()).status == 404
    finally:
        context.close()

    # Text: escaped by our page, never run.
    dialogs: list[object] = []
    page.on("dialog", lambda dialog: dialogs.append(dialog))
    page.goto(UploadedFile.objects.get(name="notes.txt").get_absolute_url())
    assert page.locator("pre.text-preview").inner_text() == NOTES
    assert dialogs == []  # the <script> in it never ran
    page.screenshot(path=screenshots / "preview-text.png", full_page=True)

    # The image, inline from /preview/.
    page.goto(photo.get_absolute_url())
    preview = page.locator(".preview img")
    preview.evaluate("(img) => img.decode()")
    assert preview.evaluate("(img) => img.naturalWidth") > 0
    page.screenshot(path=screenshots / "preview-image.png", full_page=True)

    # The PDF, in the browser's own viewer, from the content-checked inline URL.
    report = UploadedFile.objects.get(name="report.pdf")
    page.goto(report.get_absolute_url())
    with page.expect_popup() as popup_info:
        page.click("a:has-text('Open the PDF')")
    viewer = popup_info.value
    viewer.wait_for_load_state()
    assert viewer.url.endswith(f"/files/{report.pk}/preview/")
    sent = page.request.get(report.get_preview_url())
    assert sent.headers["content-type"] == "application/pdf"
    assert sent.headers["content-disposition"] == 'inline; filename="report.pdf"'
    viewer.screenshot(path=screenshots / "preview-pdf.png")
