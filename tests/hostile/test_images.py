"""Threat: an image that exhausts whoever decodes it, or is not the image it claims to be.

Decoding is what files/content.py does to allow inline display: a bomb, a
truncated or corrupt file, or absurd dimensions must come out as plain bytes
(an attachment), never as a 500 and never inline. (Thumbnails have their own
tests; they reuse the same check.)
"""

from __future__ import annotations

import io
import struct
import zlib

import pytest
from django.test import Client
from PIL import Image

from accounts.models import User
from files.tests.conftest import MakeFile
from files.tests.utils import image_bytes
from files.uploads.content import detect_content_type


def _chunk(kind: bytes, data: bytes) -> bytes:
    return (
        struct.pack(">I", len(data))
        + kind
        + data
        + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    )


def png_claiming(width: int, height: int) -> bytes:
    """A well-formed PNG whose header claims width x height: a few hundred bytes.

    The pixel data is one compressed row of zeros repeated: a real bomb
    inflates it to width x height x 3 bytes.
    """
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    row = b"\x00" + b"\x00" * min(width * 3, 1 << 16)
    data = zlib.compress(row * 4, 9)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", data)
        + _chunk(b"IEND", b"")
    )


def gif_claiming(width: int, height: int) -> bytes:
    buffer = io.BytesIO()
    Image.new("P", (1, 1)).save(buffer, format="GIF")
    gif = bytearray(buffer.getvalue())
    gif[6:10] = struct.pack("<HH", width, height)  # the logical screen size
    return bytes(gif)


def sniff(name: str, content: bytes) -> str:
    return detect_content_type(name, content[:8192], io.BytesIO(content))


# Pillow warns (DecompressionBombWarning) before the check refuses.
@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
@pytest.mark.parametrize(
    ("width", "height"),
    [(100_000, 100_000), (65_535, 65_535), (2**31 - 1, 1), (1, 2**31 - 1), (12_000, 12_000)],
)
def test_absurd_dimensions_are_never_inline(width: int, height: int) -> None:
    assert sniff("bomb.png", png_claiming(width, height)) == "application/octet-stream"


@pytest.mark.filterwarnings("ignore::PIL.Image.DecompressionBombWarning")
def test_a_gif_claiming_a_huge_screen_is_not_a_problem() -> None:
    # GIF's logical screen is 65535 x 65535 at most: 4.3 gigapixels.
    assert sniff("bomb.gif", gif_claiming(65_535, 65_535)) == "application/octet-stream"


def test_an_ordinary_large_image_is_still_an_image() -> None:
    assert sniff("wide.png", png_claiming(8000, 8000)) in {"image/png", "application/octet-stream"}
    assert sniff("photo.png", image_bytes("PNG", (2000, 1500))) == "image/png"


@pytest.mark.parametrize("image_format", ["PNG", "WEBP"])
@pytest.mark.parametrize("keep", [0.2, 0.5, 0.9])
def test_a_truncated_image_is_not_inline(image_format: str, keep: float) -> None:
    content = image_bytes(image_format, (64, 64))
    cut = content[: int(len(content) * keep)]
    assert sniff(f"cut.{image_format.lower()}", cut) == "application/octet-stream"


@pytest.mark.parametrize(("image_format", "mime"), [("JPEG", "image/jpeg"), ("GIF", "image/gif")])
def test_a_truncated_jpeg_or_gif_is_at_worst_a_partial_image(image_format: str, mime: str) -> None:
    # Pillow's verify() does not decode JPEG or GIF data: a cut one may still
    # pass as its own type, which a browser shows partially. Never anything else.
    content = image_bytes(image_format, (64, 64))
    for keep in (0.1, 0.5, 0.9):
        kind = sniff("cut.img", content[: int(len(content) * keep)])
        assert kind in {mime, "application/octet-stream"}


@pytest.mark.parametrize("offset", [16, 40, 80])
def test_a_corrupt_png_is_not_inline(offset: int) -> None:
    content = bytearray(image_bytes("PNG", (32, 32)))
    content[offset] ^= 0xFF
    assert sniff("corrupt.png", bytes(content)) == "application/octet-stream"


@pytest.mark.parametrize(
    "content",
    [b"\x89PNG\r\n\x1a\n", b"GIF89a", b"\xff\xd8\xff", b"RIFF\x00\x00\x00\x00WEBPVP8 ", b""],
)
def test_a_bare_magic_number_is_not_an_image(content: bytes) -> None:
    assert sniff("x.png", content) == "application/octet-stream"


def test_a_bomb_uploads_cleanly_and_downloads_as_an_attachment(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    stored = make_file(alice, "bomb.png", png_claiming(100_000, 100_000))
    assert stored.content_type == "application/octet-stream"
    assert alice_client.get(f"/files/{stored.pk}/preview/").status_code == 404
    download = alice_client.get(f"/files/{stored.pk}/download/")
    assert download.status_code == 200
    assert download["Content-Disposition"].startswith("attachment;")
