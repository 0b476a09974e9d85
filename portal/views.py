"""The error page for a database that does not answer: 503, not a 500."""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.template import loader
from django.views import defaults

# Raised when the database is down, restarting or refusing connections; a moment
# later the same request succeeds (conn_health_checks reconnects).
UNAVAILABLE = (OperationalError, InterfaceError)
RETRY_AFTER_SECONDS = 5


def server_error(request: HttpRequest) -> HttpResponseBase:
    """handler500: a clear, retryable 503 when a backing service is away.

    Django calls this while handling the exception, so sys.exc_info() is it.
    The page is rendered without the request: the session, the user and the
    messages all live in the database that just failed.
    """
    error = sys.exc_info()[1]
    if not isinstance(error, UNAVAILABLE):
        return defaults.server_error(request)
    page = loader.get_template("503.html").render()
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
