"""The reader's time zone: the browser's, sent by static/timezone.js in a cookie.

Times are stored in UTC; a page shows them, and a form reads them, in the
zone this middleware activates, and writes the zone's name next to every
time (`|date:"Y-m-d H:i e"`). Without the cookie (first page, scripts off)
it is TIME_ZONE, which the page then names too: never an unnamed time.
"""

from __future__ import annotations

import zoneinfo
from collections.abc import Callable
from functools import cache

from django.http import HttpRequest, HttpResponse
from django.utils import timezone

COOKIE = "tz"


@cache
def known_zones() -> frozenset[str]:
    return frozenset(zoneinfo.available_timezones())


def zone_of(request: HttpRequest) -> zoneinfo.ZoneInfo | None:
    """The IANA zone the browser named, or None for none or one we do not know."""
    name = request.COOKIES.get(COOKIE, "")
    # Only names from the database: a cookie is the client's to write.
    if name not in known_zones():
        return None
    return zoneinfo.ZoneInfo(name)


class ReaderTimeZone:
    """Activates the browser's zone for the request (forms read, pages show times in it)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        zone = zone_of(request)
        if zone is None:
            timezone.deactivate()
        else:
            timezone.activate(zone)
        try:
            return self.get_response(request)
        finally:
            timezone.deactivate()
