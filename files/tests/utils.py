"""Test content that is what it claims to be, and a look at what storage holds."""

from __future__ import annotations

import io
from pathlib import Path

from django.conf import settings
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.http.response import HttpResponseBase
from PIL import Image

# The smallest header that content sniffers (and browsers) take for a PDF.
PDF_BYTES = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n"
HTML_BYTES = b"<!doctype html><html><body><script>alert(document.cookie)</script></body></html>"
SVG_BYTES = (
    b'<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10">'
    b"<script>alert(1)</script></svg>"
)


def image_bytes(image_format: str = "PNG", size: tuple[int, int] = (8, 8)) -> bytes:
    """A real image, encoded by Pillow in `image_format` (PNG, JPEG, GIF, WEBP)."""
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format=image_format)
    return buffer.getvalue()


def stored_paths() -> list[Path]:
    """Every file under MEDIA_ROOT: what a failed or deleted upload must not leave behind."""
    root = Path(settings.MEDIA_ROOT)
    if not root.exists():
        return []
    return sorted(path for path in root.rglob("*") if path.is_file())


def stored_path(key: str) -> Path:
    return Path(settings.MEDIA_ROOT) / key


def body(response: HttpResponseBase) -> bytes:
    """The bytes a response sends, streamed or not."""
    if response.streaming:
        return b"".join(response.streaming_content)
    return response.content


# EXIF tags a camera writes: where the picture was taken, and which way is up.
ORIENTATION, MAKE, GPS_IFD = 0x0112, 0x010F, 0x8825
GPS_POSITION = {1: "N", 2: (48.0, 51.0, 24.0), 3: "E", 4: (2.0, 21.0, 7.0)}  # Paris


def photo_bytes(size: tuple[int, int] = (40, 20), orientation: int = 6) -> bytes:
    """A JPEG as a phone stores it: sideways, with an EXIF orientation, maker and GPS position.

    The stored left half is red and the right half blue; orientation 6 asks for a
    turn of 90° clockwise, so upright the red half is on top.
    """
    width, height = size
    image = Image.new("RGB", size, (0, 0, 255))
    image.paste((255, 0, 0), (0, 0, width // 2, height))
    exif = Image.Exif()
    exif[ORIENTATION] = orientation
    exif[MAKE] = "PortalCam"
    exif[GPS_IFD] = GPS_POSITION
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", exif=exif, quality=95)
    return buffer.getvalue()


def migrate_to(targets: list[tuple[str, str]]) -> MigrationExecutor:
    """Migrate the test database to `targets` (backwards too); the executor, for its states."""
    executor = MigrationExecutor(connection)
    executor.loader.build_graph()
    executor.migrate(targets)
    return executor
