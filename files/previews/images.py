"""Which images Portal decodes: the formats it lets Pillow open, and how large they may be.

Upload sniffing (files.uploads.content) records an image type only for bytes
that decode as one of these within the limit; thumbnails render the same
set. One table, so an image shown inline is always one a thumbnail can be made of.
"""

from __future__ import annotations

from PIL import Image

# content type -> Pillow's format name; nothing else is ever opened as an image.
IMAGE_FORMATS = {"image/jpeg": "JPEG", "image/png": "PNG", "image/gif": "GIF", "image/webp": "WEBP"}


def too_many_pixels(image: Image.Image) -> bool:
    """More pixels than Pillow's MAX_IMAGE_PIXELS (about 89 megapixels).

    Pillow only warns above it (and refuses at twice it); a browser shown such
    an image inline, or a worker making its thumbnail, would spend gigabytes
    decoding it, so Portal refuses it already. An explicit check, not warnings
    turned into errors: the warnings filters are process-wide, and gunicorn
    runs threads.
    """
    limit = Image.MAX_IMAGE_PIXELS
    if not limit:  # None or 0: Pillow's check switched off, and ours with it
        return False
    return image.width * image.height > limit
