"""What a file is, judged by its content rather than by its name.

The recorded content type decides whether a file may ever be shown inline, so a
type on the inline allow-list is only recorded when the bytes prove it.
"""

from __future__ import annotations

import mimetypes
from typing import IO

import filetype
from PIL import Image

from files.contract import is_inline_safe
from files.previews.images import IMAGE_FORMATS, too_many_pixels

# How much of the start of a file the sniffers need (filetype reads at most this).
HEAD_SIZE = 8192


def detect_content_type(name: str, head: bytes, file: IO[bytes]) -> str:
    """The content type to record for an upload.

    `head` is the first bytes of the file; `file` is the whole file, read only to
    confirm that an image really decodes as one.
    """
    kind = filetype.guess(head) if head else None
    if kind is not None:
        mime = kind.mime
        if mime in IMAGE_FORMATS:
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
            by_format = {name: mime for mime, name in IMAGE_FORMATS.items()}
            mime = by_format.get(image.format or "")
            if too_many_pixels(image):
                mime = None
    except Exception:  # Pillow raises many types for broken images; any means "not an image".
        mime = None
    file.seek(0)
    return mime
