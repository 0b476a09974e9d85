"""What a file is, judged by its content rather than by its name.

The recorded content type decides whether a file may ever be shown inline, so a
type on the inline allow-list is only recorded when the bytes prove it.
"""

from __future__ import annotations

import mimetypes
from typing import IO

import filetype
from PIL import Image

# How much of the start of a file the sniffers need (filetype reads at most this).
HEAD_SIZE = 8192

# Shown inline (previews) only when the content was checked. Never HTML, SVG,
# XML or text: a browser would run or reinterpret them on our origin.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})
_IMAGE_FORMATS = {
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "GIF": "image/gif",
    "WEBP": "image/webp",
}


def is_inline_safe(content_type: str) -> bool:
    return content_type in INLINE_TYPES or content_type.startswith(("audio/", "video/"))


def detect_content_type(name: str, head: bytes, file: IO[bytes]) -> str:
    """The content type to record for an upload.

    `head` is the first bytes of the file; `file` is the whole file, read only to
    confirm that an image really decodes as one.
    """
    kind = filetype.guess(head) if head else None
    if kind is not None:
        mime = kind.mime
        if mime in _IMAGE_FORMATS.values():
            mime = _confirm_image(file)
        if mime:
            return mime
    guessed, _ = mimetypes.guess_type(name, strict=False)
    if guessed and not is_inline_safe(guessed):
        return guessed
    # A name that claims an inline type without content to back it is just bytes.
    return "application/octet-stream"


def _confirm_image(file: IO[bytes]) -> str | None:
    file.seek(0)
    try:
        with Image.open(file) as image:
            image.verify()
            mime = _IMAGE_FORMATS.get(image.format or "")
            # Past Pillow's MAX_IMAGE_PIXELS (89 megapixels; it refuses twice
            # that itself) a browser shown the image inline would spend
            # gigabytes decoding it: not an image for us.
            limit = Image.MAX_IMAGE_PIXELS
            if limit and image.width * image.height > limit:
                mime = None
    except Exception:  # Pillow raises many types for broken images; any means "not an image".
        mime = None
    file.seek(0)
    return mime
