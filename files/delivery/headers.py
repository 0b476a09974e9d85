"""The metadata headers every way of sending a file carries: built here, only here."""

from __future__ import annotations

from urllib.parse import quote

from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from files.contract import DOWNLOAD_CSP
from files.names import ascii_fallback


def content_disposition(*, as_attachment: bool, filename: str) -> str:
    """RFC 6266 section 4.3: an ASCII `filename=` first, then `filename*=` if it differs.

    Django's content_disposition_header() sends one or the other, and curl -OJ,
    which ignores `filename*`, then saves nothing for a non-ASCII name. The
    fallback is made of unquoted-safe characters only, so Django's helper
    writes it as a plain quoted string; nginx's /_signed/ location writes the
    same header from the signed f= and a= arguments.
    """
    fallback = ascii_fallback(filename)
    # Never None: a filename is always given.
    header = content_disposition_header(as_attachment, fallback) or "attachment"
    if fallback != filename:
        header += "; filename*=utf-8''" + quote(filename, safe="")
    return header


def metadata(*, content_type: str, as_attachment: bool, filename: str) -> dict[str, str]:
    """What the client must see whoever sends the bytes (Django, nginx or the store)."""
    return {
        "Content-Type": content_type,
        "Content-Disposition": content_disposition(as_attachment=as_attachment, filename=filename),
        "X-Content-Type-Options": "nosniff",
        "Content-Security-Policy": DOWNLOAD_CSP,
        "Cache-Control": "private",
    }


def apply(response: HttpResponseBase, headers: dict[str, str]) -> HttpResponseBase:
    for name, value in headers.items():
        response[name] = value
    return response
