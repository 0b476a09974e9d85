"""How a permitted download leaves the building.

The one module that knows X-Accel-Redirect (and nginx's signed URLs),
X-Sendfile and FileResponse. The view has already decided that the user may
read the file; here we only build the response for the backend named by
PORTAL_SENDFILE. What is sent is a file's own bytes or its thumbnail
(files.thumbnails.Thumbnail): anything shaped like `Sendable`.
"""

from __future__ import annotations

import base64
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path
from typing import IO, Any, Protocol
from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.http import (
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import content_disposition_header, http_date, quote_etag

from files.filenames import clean_filename
from files.models import THUMBNAIL_SUFFIX

# A downloaded file may be anything, including HTML written by an attacker:
# it gets no scripts, no plugins, no forms, and a unique origin.
DOWNLOAD_CSP = (
    "default-src 'none'; img-src 'self'; media-src 'self'; style-src 'unsafe-inline'; sandbox"
)
CHUNK_SIZE = 256 * 1024
_RANGE_RE = re.compile(r"^bytes=(\d*)-(\d*)$")
SIGNED_PREFIX = "/_signed/"
# What deploy/nginx.conf's /_signed/ location and its argument pattern accept
# (a file's key, or its thumbnail's); a key or type outside them (none today)
# keeps plain X-Accel-Redirect.
_SIGNABLE_KEY = re.compile(rf"u/[0-9]+/[0-9a-f-]{{36}}(?:{re.escape(THUMBNAIL_SUFFIX)})?")
_SIGNABLE_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9.+_-]*/[A-Za-z0-9][A-Za-z0-9.+_-]*")
# Tests freeze it; signed URLs expire by the wall clock nginx reads too.
_clock: Callable[[], float] = time.time


class Sendable(Protocol):
    """What serving reads of a stored object: an UploadedFile, or its Thumbnail."""

    @property
    def pk(self) -> Any: ...
    @property
    def file(self) -> Any: ...  # a FieldFile (django-stubs types a model's as Any)
    @property
    def name(self) -> str: ...
    @property
    def size(self) -> int: ...
    @property
    def content_type(self) -> str: ...
    @property
    def sha256(self) -> str: ...  # the ETag
    @property
    def created(self) -> datetime: ...
    @property
    def previewable(self) -> bool: ...


def signing() -> bool:
    """Whether nginx verifies signed URLs, so that a page may hand one out."""
    return settings.PORTAL_SENDFILE == "nginx" and bool(settings.PORTAL_SIGNED_URL_SECRET)


def serve(request: HttpRequest, upload: Sendable, *, inline: bool = False) -> HttpResponseBase:
    """The response that sends `upload`; inline only for types checked by content."""
    backend = BACKENDS.get(settings.PORTAL_SENDFILE)
    if backend is None:
        raise ImproperlyConfigured(
            f"PORTAL_SENDFILE must be one of {', '.join(BACKENDS)}, "
            f"not {settings.PORTAL_SENDFILE!r}."
        )
    as_attachment = not (inline and upload.previewable)
    filename = clean_filename(upload.name) or "download"
    if signing():
        url = signed_url(upload, as_attachment=as_attachment, filename=filename)
        if url is not None:
            redirect = HttpResponseRedirect(url)
            # Every click comes back here and runs the permission check again;
            # only the signed URL itself (retries, Range, repeats) skips Python.
            redirect["Cache-Control"] = "private, no-store"
            return redirect
    response = backend(request, upload)
    response["Content-Type"] = upload.content_type
    # Never None: a filename is always given.
    response["Content-Disposition"] = (
        content_disposition_header(as_attachment, filename) or "attachment"
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = DOWNLOAD_CSP
    response["Cache-Control"] = "private"
    return response


# The sendfile backends answer with an empty body and leave Content-Length to
# the front server, which reads it from the file itself: a length that did not
# match the empty body would leave the proxy waiting for bytes that never come
# and break its keep-alive connection to gunicorn (seen with Apache).


def _nginx(request: HttpRequest, upload: Sendable) -> HttpResponse:
    """nginx sends the file from its internal /_protected/ location.

    nginx percent-decodes the redirect and would cut it at a raw "?", so the
    key is quoted even though ours are plain ASCII.
    """
    response = HttpResponse()
    response["X-Accel-Redirect"] = settings.PORTAL_SENDFILE_NGINX_PREFIX + quote(
        upload.file.name, safe="/"
    )
    return response


def signed_url(upload: Sendable, *, as_attachment: bool, filename: str) -> str | None:
    """The URL nginx's /_signed/ location sends `upload` from, or None if it cannot.

    Its arguments are every value that shapes the response (disposition, type,
    name), in the one order deploy/nginx.conf accepts; the signature covers them.
    """
    key = upload.file.name
    if not (_SIGNABLE_KEY.fullmatch(key) and _SIGNABLE_TYPE.fullmatch(upload.content_type)):
        return None
    path = SIGNED_PREFIX + key
    disposition = "attachment" if as_attachment else "inline"
    # RFC 5987 percent-encoding: nginx puts it in filename*= as it stands.
    query = f"d={disposition}&t={upload.content_type}&f={quote(filename, safe='')}"
    expires = int(_clock()) + settings.PORTAL_SIGNED_URL_TTL
    signature = sign(path, query, expires, settings.PORTAL_SIGNED_URL_SECRET)
    return f"{path}?{query}&e={expires}&s={signature}"


def sign(path: str, query: str, expires: int, secret: str) -> str:
    """nginx's `secure_link_md5 "$secure_link_expires$uri?$portal_signed_query <secret>"`.

    MD5 because it is the one hash nginx's secure_link module computes; the
    secret comes last (no length extension), and nginx refuses any argument
    outside a strict ASCII pattern, which leaves no room for the binary blocks
    an MD5 collision needs.
    Base64url without padding, as the module decodes it.

    Revocation delay: a signed URL keeps working until `expires` (at most
    PORTAL_SIGNED_URL_TTL seconds) after a logout, a password change or a
    future unshare; a deleted file is gone at once, since its bytes are.
    """
    message = f"{expires}{path}?{query} {secret}".encode()
    digest = hashlib.md5(message).digest()  # noqa: S324 - nginx's secure_link_md5 is MD5
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def _apache(request: HttpRequest, upload: Sendable) -> HttpResponse:
    """Apache's mod_xsendfile sends the file at this absolute path.

    The path goes as it is: Debian's mod_xsendfile (0.12) does not URL-decode
    it. The ETag replaces Apache's own, which is "0" for every file.
    """
    response = HttpResponse()
    response["X-Sendfile"] = str(stored_path(upload))
    response["ETag"] = quote_etag(upload.sha256)
    return response


def _django(request: HttpRequest, upload: Sendable) -> HttpResponseBase:
    """Stream the file from Python, with Range and conditional requests.

    For development and tests: a worker is busy for as long as the download lasts.
    """
    etag = quote_etag(upload.sha256)
    last_modified = upload.created.timestamp()
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(last_modified))
    if not_modified is not None:
        # RFC 9110 15.4.5: a 304 carries the validators a 200 would have sent.
        not_modified["ETag"] = etag
        not_modified["Last-Modified"] = http_date(last_modified)
        return not_modified

    size = upload.size
    first, last = 0, size - 1
    status = 200
    try:
        byte_range = _parse_range(request.headers.get("Range", ""), size)
    except RangeNotSatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    if byte_range is not None and not _if_range_fails(request, etag):
        first, last = byte_range
        status = 206

    stream = upload.file.open("rb")
    response = StreamingHttpResponse(_read_slice(stream, first, last), status=status)
    response["Content-Length"] = str(last - first + 1 if size else 0)
    if status == 206:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    return response


def stored_path(upload: Sendable) -> Path:
    """The absolute path of a local file, proven to lie under MEDIA_ROOT."""
    root = Path(settings.MEDIA_ROOT).resolve()
    path = Path(upload.file.path).resolve()
    # Keys are ours, never user input; this only guards against a corrupted row.
    if not path.is_relative_to(root):
        raise SuspiciousFileOperation(f"{upload.pk}: stored path leaves MEDIA_ROOT")
    return path


class RangeNotSatisfiable(Exception):
    """The Range asks only for bytes past the end of the file: 416."""


def _parse_range(header: str, size: int) -> tuple[int, int] | None:
    """The (first, last) byte of a single-range request, or None for the whole file.

    Several ranges, or a header we cannot read, get the whole file (RFC 9110
    lets a server ignore Range).
    """
    match = _RANGE_RE.match(header.strip())
    if not match or match.group(1) == match.group(2) == "":
        return None
    start, end = match.groups()
    if start == "":
        suffix = int(end)
        if suffix == 0:
            raise RangeNotSatisfiable
        if size == 0:
            return None  # no byte a Content-Range could name: send the empty whole
        return max(size - suffix, 0), size - 1
    first = int(start)
    if end and int(end) < first:
        return None  # a malformed range is ignored, not refused
    if first >= size:
        raise RangeNotSatisfiable
    last = min(int(end), size - 1) if end else size - 1
    return first, last


def _if_range_fails(request: HttpRequest, etag: str) -> bool:
    """True when an If-Range names another version: send the whole file then."""
    if_range = request.headers.get("If-Range")
    return if_range is not None and if_range.strip() != etag


def _read_slice(stream: IO[bytes], first: int, last: int) -> Iterator[bytes]:
    with stream:
        stream.seek(first)
        remaining = last - first + 1
        while remaining > 0:
            chunk = stream.read(min(CHUNK_SIZE, remaining))
            if not chunk:
                break
            remaining -= len(chunk)
            yield chunk


BACKENDS: dict[str, Callable[[HttpRequest, Sendable], HttpResponseBase]] = {
    "nginx": _nginx,
    "apache": _apache,
    "django": _django,
}
