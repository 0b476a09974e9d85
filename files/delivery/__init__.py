"""How a permitted download leaves the building.

The one package that knows X-Accel-Redirect (and nginx's signed URLs),
X-Sendfile, presigned S3 URLs and FileResponse-style streaming. The view has
already decided that the user may read the file; here we only build the
response for the storage (PORTAL_STORAGE) and the sender (PORTAL_SENDFILE,
PORTAL_S3_REDIRECT):

    headers.py  the metadata headers, built in one place
    nginx.py    X-Accel-Redirect (local and S3) and signed URLs
    apache.py   X-Sendfile
    s3.py       presigned URLs and the redirect mode
    python.py   the Python fallback, with ranges.py for Range
"""

from __future__ import annotations

import os
from collections.abc import Callable
from functools import lru_cache

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured, SuspiciousFileOperation
from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponseRedirect
from django.http.response import HttpResponseBase

from files.delivery import apache, headers, nginx, python, s3
from files.delivery.objects import StoredObject
from files.models import UploadedFile
from files.names import clean_filename

Sender = Callable[[HttpRequest, StoredObject], HttpResponseBase]
# PORTAL_SENDFILE -> who sends bytes kept in local storage, or in S3.
LOCAL_SENDERS: dict[str, Sender] = {
    "nginx": nginx.x_accel_local,
    "apache": apache.x_sendfile,
    "django": python.stream,
}
S3_SENDERS: dict[str, Sender] = {
    "nginx": nginx.x_accel_s3,
    "django": python.stream,
}
SENDFILE_BACKENDS = tuple(LOCAL_SENDERS)

__all__ = ["SENDFILE_BACKENDS", "StoredObject", "etag", "send", "serve", "signs_urls"]


def serve(
    request: HttpRequest, upload: UploadedFile, *, inline: bool = False, reusable: bool = True
) -> HttpResponseBase:
    """The response that sends `upload`; inline only for types checked by content."""
    return send(request, StoredObject.of(upload), inline=inline, reusable=reusable)


def send(
    request: HttpRequest, obj: StoredObject, *, inline: bool = False, reusable: bool = True
) -> HttpResponseBase:
    """The response that sends any object in default_storage (a file, a thumbnail).

    `reusable=False` (a link with a download limit) never answers with a URL
    the client could fetch again without passing the count: no signed URL and
    no presigned redirect; the bytes go through an internal redirect or Python.
    A browser's click on an attachment is answered in one hop too (`clicked()`).
    """
    as_attachment = not (inline and obj.inline_allowed)
    filename, presented = _presented(obj.name, obj.content_type, as_attachment)
    metadata = dict(presented)
    if settings.PORTAL_STORAGE == "s3":
        if settings.PORTAL_S3_REDIRECT:
            if reusable:
                return s3.redirect(request, obj, metadata)
            # Redirect mode may run without nginx (E003 allows Apache there).
            sender = S3_SENDERS.get(settings.PORTAL_SENDFILE, python.stream)
        else:
            sender = _sender(S3_SENDERS)
    else:
        sender = _sender(LOCAL_SENDERS)
        if reusable and signs_urls() and not (as_attachment and clicked(request)):
            url = nginx.signed_url(obj, as_attachment=as_attachment, filename=filename)
            if url is not None:
                redirect = HttpResponseRedirect(url)
                # Every click comes back here and runs the permission check again;
                # only the signed URL itself (retries, Range, repeats) skips Python.
                redirect["Cache-Control"] = "private, no-store"
                return redirect
    return headers.apply(sender(request, obj), metadata)


# The name's cleaning and its Content-Disposition (Unicode normalizing, the
# ASCII fallback, quoting) depend on these three alone, and a file is
# downloaded again and again: ~4 % of a click on the fast path (docs/performance.md).
@lru_cache(maxsize=1024)
def _presented(
    name: str, content_type: str, as_attachment: bool
) -> tuple[str, tuple[tuple[str, str], ...]]:
    """The cleaned file name and the metadata headers for it."""
    filename = clean_filename(name) or "download"
    metadata = headers.metadata(
        content_type=content_type, as_attachment=as_attachment, filename=filename
    )
    return filename, tuple(metadata.items())


def etag(key: str, sha256: str) -> str:
    """The ETag (unquoted) a download of the file stored at `key` carries, whoever sends it.

    From the key and sha256 alone, not the row: a WebDAV listing asks it of
    10,000 files without building their model instances.

    nginx sends a local file with its own validator, the file's mtime and
    size in hex, not ours; a WebDAV client compares the ETag of a GET with
    the getetag of a PROPFIND and with its If: headers, so both must be the
    same string. Every other sender carries our sha256.
    """
    if settings.PORTAL_STORAGE != "s3" and settings.PORTAL_SENDFILE == "nginx":
        try:
            # The storage's own path() refuses a key that leaves MEDIA_ROOT;
            # no resolve() here: a PROPFIND asks this of 10,000 files at once.
            stat = os.stat(default_storage.path(key))
        except (OSError, SuspiciousFileOperation):
            return sha256
        return f"{int(stat.st_mtime):x}-{stat.st_size:x}"
    return sha256


def clicked(request: HttpRequest) -> bool:
    """Whether a browser navigated to this URL: a click on a link, not a fetch.

    A browser saves an attachment it navigated to from one response, so a
    signed URL would only add a second round trip (docs/performance.md, the
    click: one hop made 1.35x the clicks per second of the 302 and its fetch,
    with a quarter less server CPU each).
    What a signed URL pays for are repeats: a media element seeking with
    Range, a download manager's segments, a script's retries; none of them
    is a navigation (Sec-Fetch-Mode, sent by every current browser; a client
    that sends none gets the signed URL, as before). Either answer is checked.
    """
    return request.META.get("HTTP_SEC_FETCH_MODE") == "navigate"


def signs_urls() -> bool:
    """Whether nginx verifies signed URLs for local files, so that a page may hand one out."""
    return (
        settings.PORTAL_STORAGE != "s3"
        and settings.PORTAL_SENDFILE == "nginx"
        and bool(settings.PORTAL_SIGNED_URL_SECRET)
    )


def _sender(senders: dict[str, Sender]) -> Sender:
    sender = senders.get(settings.PORTAL_SENDFILE)
    if sender is None:
        storage = settings.PORTAL_STORAGE
        raise ImproperlyConfigured(
            f"PORTAL_SENDFILE must be one of {', '.join(senders)} with PORTAL_STORAGE={storage}, "
            f"not {settings.PORTAL_SENDFILE!r}."
        )
    return sender
