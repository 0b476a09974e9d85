"""The metadata headers every way of sending a file carries: built here, only here."""

from __future__ import annotations

from django.http.response import HttpResponseBase
from django.utils.http import content_disposition_header

from files.contract import DOWNLOAD_CSP


def content_disposition(*, as_attachment: bool, filename: str) -> str:
    """RFC 6266, with filename*= for a name that is not plain ASCII."""
    # Never None: a filename is always given.
    return content_disposition_header(as_attachment, filename) or "attachment"


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
