"""Thumbnails: a small WebP beside each image file, private like the file.

Rendered by the background task files.tasks.make_thumbnail (never on the
request path), stored through the file's own storage under a key derived from
the file's key, deleted with the file (files.signals) and sent by
files.delivery like the file itself.
"""

from __future__ import annotations

import hashlib
import io
import logging
from pathlib import PurePath
from typing import IO

from django.core.files.base import ContentFile
from PIL import Image, ImageOps

from files import delivery
from files.delivery import nginx
from files.delivery.objects import StoredObject
from files.models import UploadedFile, thumbnail_key
from files.previews.images import IMAGE_FORMATS, too_many_pixels

logger = logging.getLogger(__name__)

# Fits a grid cell of up to 128 CSS pixels on a 2x screen.
BOX = (256, 256)
# Pillow's thumbnail() first shrinks by an integer factor (JPEG: in the decoder,
# "draft" mode, 1/2 to 1/8), then resamples from at least this many times BOX:
# a 50-megapixel JPEG decodes at 1/8 size, well under a second.
REDUCING_GAP = 2.0
WEBP_QUALITY = 80
# The recorded types (checked by content on upload) and the decoders they may reach.
# A bump re-keys every ETag should the rendering change.
VERSION = "1"
_THUMBNAIL_TYPE = "image/webp"
# Modes whose ICC profile still describes the pixels after conversion to RGB(A).
_RGB_MODES = {"RGB", "RGBA", "P", "PA"}


class NotAnImage(Exception):
    """The bytes are no image we will shrink: a decompression bomb, truncated or corrupt."""


def render(source: IO[bytes], content_type: str) -> bytes:
    """The WebP thumbnail of the image in `source`, upright and without EXIF, XMP or GPS.

    Raises NotAnImage for anything Pillow refuses, and above the pixel limit
    of files.previews.images, which bounds the work.
    A JPEG decodes at up to 1/8 scale; the other formats decode whole, so the
    worst case is an 89-megapixel RGBA PNG: about 360 MB for a moment.
    """
    formats = [IMAGE_FORMATS[content_type]] if content_type in IMAGE_FORMATS else []
    try:
        with Image.open(source, formats=formats) as image:
            if too_many_pixels(image):
                raise Image.DecompressionBombError(f"{image.width} x {image.height} pixels")
            return _shrink(image)
    # Pillow raises many types for broken input (OSError for a truncated file,
    # SyntaxError, ValueError, struct.error, ...): each means "no thumbnail".
    except Exception as error:
        raise NotAnImage(f"{type(error).__name__}: {error}") from error


def _shrink(image: Image.Image) -> bytes:
    icc_profile = image.info.get("icc_profile") if image.mode in _RGB_MODES else None
    if image.format != "JPEG" and image.mode not in ("RGB", "RGBA"):
        # Palette and bit-depth modes resample badly (or not at all); only
        # JPEG decodes smaller, so nothing is lost by converting the others first.
        image = image.convert("RGBA" if image.has_transparency_data else "RGB")
    image.thumbnail(BOX, reducing_gap=REDUCING_GAP)
    # After shrinking: turning 65 thousand pixels is cheaper than 50 million.
    upright = ImageOps.exif_transpose(image)
    if upright.mode not in ("RGB", "RGBA"):
        upright = upright.convert("RGB")  # JPEG's L and CMYK
    out = io.BytesIO()
    # Pillow writes only the metadata it is handed: no exif=, no xmp=, so none
    # of the camera's EXIF (GPS position included) leaves the original.
    upright.save(out, format="WEBP", quality=WEBP_QUALITY, icc_profile=icc_profile)
    return out.getvalue()


def generate(upload: UploadedFile) -> bool:
    """Render and store the thumbnail of `upload`; False when there is none to make."""
    if upload.content_type not in IMAGE_FORMATS:
        return False
    try:
        with upload.file.open("rb") as source:
            data = render(source, upload.content_type)
    except NotAnImage as error:
        logger.info("no thumbnail for %s: %s", upload.pk, error)
        return False
    storage = upload.file.storage
    key = thumbnail_key(upload.file.name)
    # A repeated run replaces the old thumbnail instead of saving beside it
    # under a suffixed name.
    storage.delete(key)
    name = storage.save(key, ContentFile(data))
    if not UploadedFile.objects.filter(pk=upload.pk).update(thumbnail=name):
        # Deleted while we rendered: its receiver may have run before we saved.
        storage.delete(name)
        return False
    return True


def thumbnail_object(upload: UploadedFile) -> StoredObject:
    """The thumbnail of `upload` as files.delivery sends it: inline, under the file's name."""
    return StoredObject(
        key=upload.thumbnail.name,
        size=upload.thumbnail.size,
        content_type=_THUMBNAIL_TYPE,
        name=f"{PurePath(upload.name).stem or 'thumbnail'}.webp",
        # The ETag: a function of the original's bytes and of how we render.
        etag=hashlib.sha256(f"{upload.sha256}:thumbnail:{VERSION}".encode()).hexdigest(),
        modified=upload.created,
        inline_allowed=True,
    )


def thumbnail_url(upload: UploadedFile) -> str:
    """What a page's <img> loads the thumbnail from; "" while there is none.

    A signed URL nginx verifies when PORTAL_SIGNED_URL_SECRET is set (the page
    that shows it has just checked that its reader may see the file), else the
    permission-checked thumbnail view. A grid of a hundred thumbnails then
    costs nginx a hundred files and Python one page; a link that outlives its
    TTL goes back through the view.
    """
    if not upload.thumbnail:
        return ""
    if delivery.signs_urls():
        thumbnail = thumbnail_object(upload)
        signed = nginx.signed_url(thumbnail, as_attachment=False, filename=thumbnail.name)
        if signed is not None:
            return signed
    return upload.get_thumbnail_view_url()
