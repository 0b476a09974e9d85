"""Values that Python and the front-server configs in deploy/ must agree on.

Defined once here and rendered into deploy/*.conf by deploy.stack (or checked
against them by files/tests/test_contract.py). Plain constants, importable
without Django, so the stack runner can use them before settings exist.
"""

from __future__ import annotations

import re

# A downloaded file may be anything, including HTML written by an attacker:
# it gets no scripts, no plugins, no forms, and a unique origin.
DOWNLOAD_CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)

# Where an uploaded file's bytes live in storage: u/<owner-id>/<file-id>, the
# same on disk and in a bucket; bytes that replaced earlier ones (an upload
# over the file) add a random revision, u/<owner-id>/<file-id>.<revision>, so
# a replace never overwrites bytes in place and the earlier ones can stay as a
# version. Never derived from the user's filename.
KEY_PREFIX = "u/"
OWNER_ID_PATTERN = "[0-9]+"
OBJECT_ID_PATTERN = "[0-9a-f-]{36}"
REVISION_PATTERN = "[0-9a-f]{12}"
STORAGE_KEY = re.compile(
    f"{KEY_PREFIX}(?P<owner>{OWNER_ID_PATTERN})/{OBJECT_ID_PATTERN}(?:\\.{REVISION_PATTERN})?"
)
# A file's thumbnail lives beside it: its key plus this suffix.
THUMBNAIL_SUFFIX = ".thumb.webp"
# What the /_signed/ location sends: a file's key, or its thumbnail's.
SIGNABLE_KEY = re.compile(f"{STORAGE_KEY.pattern}(?:{re.escape(THUMBNAIL_SUFFIX)})?")

# Room for multipart boundaries, part headers and the CSRF field on top of the
# largest file (PORTAL_MAX_UPLOAD_SIZE), so the front server never refuses what
# Django would accept.
MULTIPART_HEADROOM = 1024 * 1024

# Where WebDAV is mounted (files.dav.app). The front servers pass every method
# (PROPFIND, LOCK, MOVE...) and bodies up to the upload limit plus the headroom
# to gunicorn under it as under "/": a PUT body is the file alone.
DAV_PREFIX = "/dav"

# Internal nginx locations Django points X-Accel-Redirect at, and the public
# prefix of signed URLs.
PROTECTED_PREFIX = "/_protected/"
S3_PREFIX = "/_s3/"
# The same object without the client's Range (its If-Range named another version).
S3_WHOLE_PREFIX = "/_s3_whole/"
SIGNED_PREFIX = "/_signed/"
# What a signed URL may carry as the type; a file of another (none today)
# keeps plain X-Accel-Redirect.
SIGNABLE_TYPE_PATTERN = "[A-Za-z0-9][A-Za-z0-9.+_-]*/[A-Za-z0-9][A-Za-z0-9.+_-]*"
# RFC 3986's unreserved characters, the only ones an ASCII fallback name (RFC
# 6266, files.names.ascii_fallback) is made of: safe unquoted in a header's
# quoted string and in a URL, so nginx copies a signed one into its header.
FALLBACK_NAME_CHARACTERS = "A-Za-z0-9_.~-"
SIGNABLE_ASCII_NAME_PATTERN = f"[{FALLBACK_NAME_CHARACTERS}]+"
# nginx's location for signed URLs:
#   /_signed/<signature>/<expiry>/<disposition>/<type>/<key>/<ASCII name>[?<encoded name>]
# Everything the response depends on is signed: the path after the signature
# and the query string, which is the name's RFC 5987 percent-encoding when it
# is not its own ASCII fallback, and empty when it is. It names the key it
# sends, the file's id for the expired-link redirect, and the variant (a
# thumbnail) for which view that redirect goes back to.
SIGNED_LOCATION = (
    f"^{SIGNED_PREFIX}(?<portal_signed_s>[A-Za-z0-9_-]{{22}})"
    "(?<portal_signed_path>/(?<portal_signed_e>[0-9]{1,12})"
    "/(?<portal_signed_d>attachment|inline)"
    f"/(?<portal_signed_t>{SIGNABLE_TYPE_PATTERN})"
    f"/(?<portal_signed_key>{KEY_PREFIX}{OWNER_ID_PATTERN}/"
    f"(?<portal_signed_id>{OBJECT_ID_PATTERN})(?:\\.{REVISION_PATTERN})?"
    f"(?<portal_signed_variant>{re.escape(THUMBNAIL_SUFFIX)})?)"
    f"/(?<portal_signed_a>{SIGNABLE_ASCII_NAME_PATTERN}))$"
)

# A click on a file's download (files:download): the URL the download fast path
# (portal/fastpath.py) answers, and nginx's location that sends it to granian,
# the app server for many small requests (deploy/stack.py).
CLICK_LOCATION = f"^/files/{OBJECT_ID_PATTERN}/download/$"

# nginx's location for folder ZIPs, the one large body Python itself sends
# (/files/download/, /files/folders/<uuid>/download/, /s/<token>/zip/): read
# from gunicorn in 256 KiB pieces and passed on unbuffered, not spooled to disk.
ZIP_LOCATION = f"^/(?:files/(?:folders/{OBJECT_ID_PATTERN}/)?download/|s/[^/]+/zip/)$"


def storage_key(owner_id: int | None, object_id: object, revision: str | None = None) -> str:
    """The key of a file's bytes; `revision` for bytes that replaced earlier ones."""
    key = f"{KEY_PREFIX}{owner_id}/{object_id}"
    return f"{key}.{revision}" if revision else key


# Shown inline (previews) only when the content was checked. Never HTML, SVG,
# XML or text: a browser would run or reinterpret them on our origin.
INLINE_TYPES = frozenset({"image/png", "image/jpeg", "image/gif", "image/webp", "application/pdf"})


def is_inline_safe(content_type: str) -> bool:
    return content_type in INLINE_TYPES or content_type.startswith(("audio/", "video/"))
