"""nginx (PORTAL_SENDFILE=nginx): X-Accel-Redirect to an internal location, and signed URLs.

Local storage: /_protected/<key>, which nginx serves from MEDIA_ROOT. S3:
/_s3/<etag>/<presigned path>?<presigned query>, which nginx proxies to the
store (deploy/nginx.conf), so no byte passes through Python either way.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable
from urllib.parse import quote, urlsplit

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.utils.cache import get_conditional_response
from django.utils.http import quote_etag

from files.contract import (
    PROTECTED_PREFIX,
    S3_PREFIX,
    S3_WHOLE_PREFIX,
    SIGNABLE_KEY,
    SIGNABLE_TYPE_PATTERN,
    SIGNED_PREFIX,
)
from files.delivery import s3
from files.delivery.objects import StoredObject
from files.delivery.ranges import if_range_fails
from files.names import ascii_fallback

# What deploy/nginx.conf's /_signed/ location accepts for the type; a key or
# type outside it (none today) keeps plain X-Accel-Redirect.
_SIGNABLE_TYPE = re.compile(SIGNABLE_TYPE_PATTERN)
# What the /_s3/ location captures as the ETag nginx sends.
_ACCEL_ETAG = re.compile(r"[A-Za-z0-9_-]+")
# Tests freeze it; signed URLs expire by the wall clock nginx reads too.
_clock: Callable[[], float] = time.time


def x_accel_local(request: HttpRequest, obj: StoredObject) -> HttpResponse:
    """nginx sends the file from its internal /_protected/ location.

    nginx percent-decodes the redirect and would cut it at a raw "?", so the
    key is quoted even though ours are plain ASCII. Content-Length is left to
    nginx, which reads it from the file.
    """
    response = HttpResponse()
    response["X-Accel-Redirect"] = PROTECTED_PREFIX + quote(obj.key, safe="/")
    return response


def x_accel_s3(request: HttpRequest, obj: StoredObject) -> HttpResponse:
    """nginx fetches the object with a presigned URL and relays it (Zulip's /internal/s3/).

    Conditional requests are answered here, against our own ETag: the store
    knows only its own (an MD5, or MD5-parts after a multipart upload), so
    nginx sends it none of them. An If-Range that names another version
    picks the location that drops the Range too.
    """
    etag = quote_etag(obj.etag)
    not_modified = get_conditional_response(request, etag=etag)
    if not_modified is not None:
        not_modified["ETag"] = etag
        return not_modified
    if not _ACCEL_ETAG.fullmatch(obj.etag):
        raise ValueError(f"{obj.key}: an ETag nginx cannot carry: {obj.etag!r}")
    url = urlsplit(s3.presigned_url(obj.key))
    prefix = S3_WHOLE_PREFIX if if_range_fails(request, etag) else S3_PREFIX
    response = HttpResponse()
    # nginx matches and captures the path decoded once, and hands the
    # capture to the store as it stands: the path is quoted twice so that
    # the store receives it quoted once, exactly as it was signed. The query
    # string is never decoded and reaches the store byte for byte.
    response["X-Accel-Redirect"] = f"{prefix}{obj.etag}{quote(url.path, safe='/')}?{url.query}"
    return response


def signed_url(obj: StoredObject, *, as_attachment: bool, filename: str) -> str | None:
    """The URL nginx's /_signed/ location sends `obj` from, or None if it cannot.

    Its path holds every value that shapes the response (expiry, disposition,
    type, key, ASCII name), in the one shape files.contract.SIGNED_LOCATION
    accepts, and ends with the name, so a client that names a file after its
    URL (`curl -O`, `wget`) gets the right one. A name that is not its own
    ASCII fallback adds its RFC 5987 encoding as the query string, which nginx
    reads as it stands (a path would be decoded first, at a cost).
    """
    if not (SIGNABLE_KEY.fullmatch(obj.key) and _SIGNABLE_TYPE.fullmatch(obj.content_type)):
        return None
    fallback = ascii_fallback(filename)
    disposition = "attachment" if as_attachment else "inline"
    expires = int(_clock()) + settings.PORTAL_SIGNED_URL_TTL
    path = f"/{expires}/{disposition}/{obj.content_type}/{obj.key}/{fallback}"
    encoded = quote(filename, safe="")
    query = "" if encoded == fallback else encoded
    signature = sign(path, query, settings.PORTAL_SIGNED_URL_SECRET)
    return f"{SIGNED_PREFIX}{signature}{path}" + (f"?{query}" if query else "")


def sign(path: str, query: str, secret: str) -> str:
    """nginx's `secure_link_md5 "$portal_signed_path?$args <secret>"`.

    MD5 because it is the one hash nginx's secure_link module computes; the
    secret comes last (no length extension). What Django signs is all in
    [A-Za-z0-9/._~%+-], which leaves no room for the binary blocks an MD5
    collision needs. The expiry is in the path, so it is signed too.
    Base64url without padding, as the module decodes it.

    Revocation delay: a signed URL keeps working until its expiry (at most
    PORTAL_SIGNED_URL_TTL seconds) after a logout, a password change, an
    unshare or a move to the trash; a file deleted forever is gone at once,
    since its bytes are (docs/security.md, "Known limits").
    """
    digest = hashlib.md5(f"{path}?{query} {secret}".encode()).digest()  # noqa: S324 - nginx's secure_link_md5 is MD5
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")
