"""The Python fallback (PORTAL_SENDFILE=django): Django streams the bytes itself.

For development and tests: a worker is busy for as long as the download
lasts. Range and conditional requests work as behind a front server.
"""

from __future__ import annotations

from django.core.files.storage import default_storage
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.utils.cache import get_conditional_response
from django.utils.http import http_date, quote_etag

from files.delivery.objects import StoredObject
from files.delivery.ranges import RangeNotSatisfiable, if_range_fails, parse_range, read_slice


def stream(request: HttpRequest, obj: StoredObject) -> HttpResponseBase:
    etag = quote_etag(obj.etag)
    last_modified = obj.modified.timestamp()
    not_modified = get_conditional_response(request, etag=etag, last_modified=int(last_modified))
    if not_modified is not None:
        # RFC 9110 15.4.5: a 304 carries the validators a 200 would have sent.
        not_modified["ETag"] = etag
        not_modified["Last-Modified"] = http_date(last_modified)
        return not_modified

    size = obj.size
    first, last = 0, size - 1
    status = 200
    try:
        byte_range = parse_range(request.headers.get("Range", ""), size)
    except RangeNotSatisfiable:
        refused = HttpResponse(status=416)
        refused["Content-Range"] = f"bytes */{size}"
        return refused
    if byte_range is not None and not if_range_fails(request, etag):
        first, last = byte_range
        status = 206

    response = StreamingHttpResponse(
        read_slice(default_storage.open(obj.key, "rb"), first, last), status=status
    )
    response["Content-Length"] = str(last - first + 1 if size else 0)
    if status == 206:
        response["Content-Range"] = f"bytes {first}-{last}/{size}"
    response["Accept-Ranges"] = "bytes"
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    return response
