"""Project-wide middleware: the body drain and the pages' Content-Security-Policy.

DrainUnreadBody reads and discards a request body that no view read, so its
answer arrives. A view may answer without reading the body: LoginRequiredMiddleware sends an
anonymous (or signed-out) upload to the login page before a byte is parsed.
If the WSGI server then closes the connection with the body still unread, the
kernel resets it, and the front server, still sending, reports 502 (nginx
turns that into its "briefly unavailable" page) instead of the redirect: a
person whose session expired during a 1 GiB upload would be told to retry,
forever. Reading to the end, without parsing or storing, lets the real answer
through. nginx has spooled the body to disk, so this is a local copy at disk
speed; Apache streams it, so a time budget keeps a slow anonymous body from
holding a worker thread for long (docs/security.md, "Known limits").
"""

from __future__ import annotations

import time
from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponseBase

from files.contract import MULTIPART_HEADROOM

# Small reads, so that a slow body overruns the budget by little.
CHUNK = 16 * 1024
DRAIN_SECONDS = 10.0


class DrainUnreadBody:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if not request._read_started:  # type: ignore[attr-defined]
            drain(request)
        return response


def drain(request: HttpRequest) -> None:
    """Read what is left of the body, within the upload limit and the time budget."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return
    if not 0 < length <= settings.PORTAL_MAX_UPLOAD_SIZE + MULTIPART_HEADROOM:
        return
    deadline = time.monotonic() + DRAIN_SECONDS
    while request.read(CHUNK) and time.monotonic() < deadline:
        pass


# Every HTML page (the admin's included) loads its scripts, styles and images
# from our own origin and has no inline script or style, so the strictest
# policy costs nothing and stops injected markup from running or framing.
# Files themselves carry files.contract.DOWNLOAD_CSP (a sandbox), set by
# files.delivery, which this never replaces.
PAGE_CSP = "; ".join(
    (
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'none'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    )
)


class PageSecurityPolicy:
    """Adds PAGE_CSP to HTML answers that did not choose a policy of their own.

    Not to redirects: their (empty) body is never shown, and a download's 302
    to a signed URL stays the bare hop nginx expects.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        response = self.get_response(request)
        if (
            "Content-Security-Policy" not in response
            and not 300 <= response.status_code < 400
            and response.get("Content-Type", "").startswith("text/html")
        ):
            response["Content-Security-Policy"] = PAGE_CSP
        return response
