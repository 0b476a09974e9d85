"""Apache's mod_xsendfile (PORTAL_SENDFILE=apache; lighttpd reads the same header)."""

from __future__ import annotations

from django.http import HttpRequest, HttpResponse
from django.utils.http import quote_etag

from files.delivery.objects import StoredObject


def x_sendfile(request: HttpRequest, obj: StoredObject) -> HttpResponse:
    """Apache sends the file at this absolute path (local storage only: files.E003).

    The path goes as it is: Debian's mod_xsendfile (0.12) does not URL-decode
    it. The ETag replaces Apache's own, which is "0" for every file.
    Content-Length is left to Apache, which reads it from the file: one that
    did not match the empty body would leave the proxy waiting for bytes
    that never come and break its keep-alive connection to gunicorn.
    """
    response = HttpResponse()
    response["X-Sendfile"] = str(obj.local_path())
    response["ETag"] = quote_etag(obj.etag)
    return response
