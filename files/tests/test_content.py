"""files.content: a type on the inline allow-list is recorded only when the bytes prove it."""

from __future__ import annotations

import io

import pytest

from files.contract import is_inline_safe
from files.tests.utils import HTML_BYTES, PDF_BYTES, SVG_BYTES, image_bytes
from files.uploads.content import HEAD_SIZE, detect_content_type


def detect(name: str, content: bytes) -> str:
    return detect_content_type(name, content[:HEAD_SIZE], io.BytesIO(content))


@pytest.mark.parametrize(
    ("image_format", "expected"),
    [("PNG", "image/png"), ("JPEG", "image/jpeg"), ("GIF", "image/gif"), ("WEBP", "image/webp")],
)
def test_it_detects_real_images_by_content(image_format: str, expected: str) -> None:
    assert detect("upload.bin", image_bytes(image_format)) == expected


def test_it_believes_the_content_over_the_name() -> None:
    assert detect("photo.jpg", image_bytes("PNG")) == "image/png"


def test_it_detects_a_pdf_by_its_header() -> None:
    assert detect("report", PDF_BYTES) == "application/pdf"


def test_it_rewinds_the_file_after_checking_an_image() -> None:
    content = image_bytes("PNG")
    file = io.BytesIO(content)
    detect_content_type("a.png", content[:HEAD_SIZE], file)
    assert file.read() == content


def test_it_does_not_take_html_named_png_for_an_image() -> None:
    assert detect("fake.png", HTML_BYTES) == "application/octet-stream"


@pytest.mark.parametrize(
    "name", ["fake.png", "fake.jpg", "fake.gif", "fake.webp", "fake.pdf", "fake.mp4"]
)
def test_it_does_not_trust_an_inline_extension_without_content(name: str) -> None:
    assert detect(name, b"just some text") == "application/octet-stream"


def test_it_does_not_accept_a_truncated_png() -> None:
    png = image_bytes("PNG", size=(64, 64))
    assert detect("broken.png", png[: len(png) // 2]) == "application/octet-stream"


def test_it_does_not_accept_a_corrupt_png() -> None:
    png = bytearray(image_bytes("PNG", size=(64, 64)))
    idat = png.index(b"IDAT")
    png[idat + 8] ^= 0xFF  # a byte of image data: the chunk's CRC no longer matches
    assert detect("broken.png", bytes(png)) == "application/octet-stream"


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("x.html", HTML_BYTES, "text/html"),
        ("x.svg", SVG_BYTES, "image/svg+xml"),
        ("x.txt", b"plain words", "text/plain"),
    ],
)
def test_it_records_active_types_by_name_but_never_inline(
    name: str, content: bytes, expected: str
) -> None:
    assert detect(name, content) == expected
    assert not is_inline_safe(expected)


def test_it_falls_back_to_octet_stream() -> None:
    assert detect("no-extension", b"\x00\x01\x02") == "application/octet-stream"
    assert detect("empty.txt", b"") == "text/plain"


@pytest.mark.parametrize(
    "content_type",
    ["image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf", "audio/ogg"]
    + ["video/mp4"],
)
def test_it_allows_checked_types_inline(content_type: str) -> None:
    assert is_inline_safe(content_type)


@pytest.mark.parametrize(
    "content_type",
    ["text/html", "image/svg+xml", "application/xml", "text/xml", "text/plain"]
    + ["application/octet-stream", "application/javascript", "image/bmp"],
)
def test_it_never_allows_other_types_inline(content_type: str) -> None:
    assert not is_inline_safe(content_type)
