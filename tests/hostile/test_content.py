"""Threat: a file that runs in the portal's origin when someone opens it.

Whatever the name says, a file is sent as an attachment with nosniff and a
sandboxing CSP; only types proven by content (files/content.py) may be shown
inline, and only by /preview/.
"""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from files.contract import DOWNLOAD_CSP, is_inline_safe
from files.tests.conftest import MakeFile
from files.tests.utils import HTML_BYTES, PDF_BYTES, SVG_BYTES, image_bytes

XML_BYTES = b'<?xml version="1.0"?><?xml-stylesheet href="x.xsl"?><r><script>alert(1)</script></r>'
XHTML_BYTES = b'<html xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script></html>'
# Starts like a GIF, is an HTML page to a browser that sniffs.
GIF_HTML_POLYGLOT = b"GIF89a/*\x01\x00\x01\x00\x00\x00\x00*/=1;<script>alert(1)</script>"
PDF_HTML_POLYGLOT = PDF_BYTES + HTML_BYTES


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", HTML_BYTES),
        ("page.htm", HTML_BYTES),
        ("page.xhtml", XHTML_BYTES),
        ("drawing.svg", SVG_BYTES),
        ("feed.xml", XML_BYTES),
        ("notes.txt", HTML_BYTES),
        ("script.js", b"alert(document.cookie)"),
        ("style.css", b"body{background:url(javascript:alert(1))}"),
        # Lying extensions: an inline type by name, something else by content.
        ("photo.png", HTML_BYTES),
        ("photo.jpg", SVG_BYTES),
        ("movie.mp4", HTML_BYTES),
        ("song.mp3", XHTML_BYTES),
        ("report.pdf", HTML_BYTES),
        ("anim.gif", GIF_HTML_POLYGLOT),
        ("no-extension", HTML_BYTES),
    ],
)
def test_active_content_is_never_shown_inline(
    alice: User, alice_client: Client, make_file: MakeFile, name: str, content: bytes
) -> None:
    stored = make_file(alice, name, content)
    assert not stored.previewable, stored.content_type

    assert alice_client.get(f"/files/{stored.pk}/preview/").status_code == 404
    download = alice_client.get(f"/files/{stored.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
    assert download["X-Content-Type-Options"] == "nosniff"
    assert download["Content-Security-Policy"] == DOWNLOAD_CSP
    assert "sandbox" in download["Content-Security-Policy"]
    assert not is_inline_safe(download["Content-Type"])
    detail = alice_client.get(f"/files/{stored.pk}/")
    assert f"/files/{stored.pk}/preview/" not in detail.content.decode()


def test_a_pdf_with_html_appended_is_a_pdf_and_stays_sandboxed(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    # The bytes prove a PDF; a browser that sniffed could see HTML, so nosniff
    # and the sandbox CSP carry the weight.
    stored = make_file(alice, "both.pdf", PDF_HTML_POLYGLOT)
    assert stored.content_type == "application/pdf"
    preview = alice_client.get(f"/files/{stored.pk}/preview/")
    assert preview["Content-Type"] == "application/pdf"
    assert preview["X-Content-Type-Options"] == "nosniff"
    assert preview["Content-Security-Policy"] == DOWNLOAD_CSP


def test_a_real_image_named_html_is_an_image(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    # Content wins over the name: shown inline it is only ever an image.
    stored = make_file(alice, "page.html", image_bytes("PNG"))
    assert stored.content_type == "image/png"
    preview = alice_client.get(f"/files/{stored.pk}/preview/")
    assert preview["Content-Type"] == "image/png"
    assert preview["X-Content-Type-Options"] == "nosniff"


def test_a_png_with_a_script_appended_is_only_ever_an_image(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    stored = make_file(alice, "pic.png", image_bytes("PNG") + HTML_BYTES)
    preview = alice_client.get(f"/files/{stored.pk}/preview/")
    assert preview["Content-Type"] in {"image/png", "application/octet-stream"}
    assert preview["Content-Security-Policy"] == DOWNLOAD_CSP


def test_the_pages_that_list_files_escape_their_names(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    stored = make_file(alice, "<img src=x onerror=alert(1)>.txt")
    for page in ("/files/", f"/files/{stored.pk}/", f"/files/{stored.pk}/delete/"):
        html = alice_client.get(page).content.decode()
        assert "<img src=x onerror" not in html
        assert "&lt;img src=x onerror=alert(1)&gt;.txt" in html
