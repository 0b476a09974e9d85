"""The preview on a file's page: safe types by the browser, text by our template, capped."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import User
from files.previews.preview import TEXT_LIMIT, preview_of
from files.tests.conftest import MakeFile
from files.tests.utils import HTML_BYTES, PDF_BYTES, SVG_BYTES, image_bytes


def page(client: Client, upload) -> str:
    response = client.get(f"/files/{upload.pk}/")
    assert response.status_code == 200
    return response.content.decode()


def test_an_image_is_shown_inline(alice: User, alice_client: Client, make_file: MakeFile) -> None:
    upload = make_file(alice, "pic.png", image_bytes("PNG"))
    assert f'<img src="/files/{upload.pk}/preview/" alt="Preview of pic.png">' in page(
        alice_client, upload
    )


def test_a_pdf_opens_in_the_browsers_viewer(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "report.pdf", PDF_BYTES)
    html = page(alice_client, upload)
    assert f'href="/files/{upload.pk}/preview/" target="_blank"' in html
    assert "Open the PDF" in html


@pytest.mark.parametrize(
    ("name", "content_type", "tag"),
    [("song.mp3", "audio/mpeg", "audio"), ("clip.mp4", "video/mp4", "video")],
)
def test_audio_and_video_get_the_browsers_player(
    alice: User,
    alice_client: Client,
    make_file: MakeFile,
    name: str,
    content_type: str,
    tag: str,
) -> None:
    upload = make_file(alice, name, b"x")
    upload.content_type = content_type  # as if sniffed from real media
    upload.save()
    assert f'<{tag} controls preload="metadata" src="/files/{upload.pk}/preview/">' in page(
        alice_client, upload
    )


def test_text_is_shown_escaped_by_our_page(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "notes.txt", "café <b>bold</b> & more\n".encode())
    html = page(alice_client, upload)
    assert "<code>café &lt;b&gt;bold&lt;/b&gt; &amp; more\n</code>" in html
    assert "preview-cut" not in html


@pytest.mark.parametrize(("name", "content"), [("x.html", HTML_BYTES), ("x.svg", SVG_BYTES)])
def test_html_and_svg_are_source_text_never_markup(
    alice: User, alice_client: Client, make_file: MakeFile, name: str, content: bytes
) -> None:
    upload = make_file(alice, name, content)
    html = page(alice_client, upload)
    assert "<script>alert" not in html
    assert "&lt;script&gt;alert" in html
    assert f"/files/{upload.pk}/preview/" not in html


@pytest.mark.parametrize(
    "name", ["main.py", "lib.rs", "app.ts", "Makefile", "config.toml", "data.json", "a.md"]
)
def test_source_files_count_as_text(alice: User, make_file: MakeFile, name: str) -> None:
    preview = preview_of(make_file(alice, name, b"let x = 1;\n"))
    assert (preview.kind, preview.text) == ("text", "let x = 1;\n")


def test_the_text_preview_is_capped_and_says_so(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "big.log", b"a" * (TEXT_LIMIT + 10))
    preview = preview_of(upload)
    assert (preview.cut, len(preview.text)) == (True, TEXT_LIMIT)
    assert "Showing the first 256.0\xa0KB of 256.0\xa0KB." in page(alice_client, upload)


def test_a_file_of_exactly_the_limit_is_not_cut(alice: User, make_file: MakeFile) -> None:
    preview = preview_of(make_file(alice, "full.txt", b"a" * TEXT_LIMIT))
    assert (preview.cut, len(preview.text)) == (False, TEXT_LIMIT)


def test_a_character_split_by_the_cap_is_dropped(alice: User, make_file: MakeFile) -> None:
    # "é" is two bytes in UTF-8: its first byte is the last one within the cap.
    content = b"a" * (TEXT_LIMIT - 1) + "é and more".encode()
    preview = preview_of(make_file(alice, "split.txt", content))
    assert preview.text == "a" * (TEXT_LIMIT - 1)


def test_invalid_utf8_is_replaced(alice: User, make_file: MakeFile) -> None:
    preview = preview_of(make_file(alice, "latin1.txt", "café".encode("latin-1")))
    assert preview.text == "caf\ufffd"


def test_binary_content_under_a_text_name_is_not_shown(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "main.py", b"\x7fELF\x02\x01\x01\0\0\0binary")
    assert preview_of(upload).kind == ""
    assert "No preview for this kind of file." in page(alice_client, upload)


def test_anything_else_offers_the_download(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "archive.bin", b"\x01\x02\x03")
    html = page(alice_client, upload)
    assert f'<a href="/files/{upload.pk}/download/">Download it</a>' in html
