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
    """
    if not _caused_by_unavailable(sys.exc_info()[1]):
        return defaults.server_error(request)
    return _unavailable()


def bad_request(request: HttpRequest, exception: Exception) -> HttpResponseBase:
    """handler400: a session the database could not save is a 503 too.

    SessionMiddleware turns a failed session save (UpdateError, raised from the
    OperationalError of a database going down) into SessionInterrupted, a 400
    that would tell a person their request was bad.
    """
    if _caused_by_unavailable(exception):
        return _unavailable()
    return defaults.bad_request(request, exception)


def _caused_by_unavailable(error: BaseException | None) -> bool:
    while error is not None:
        if isinstance(error, UNAVAILABLE):
            return True
        error = error.__cause__ or error.__context__
    return False


def _unavailable() -> HttpResponse:
    # Rendered without the request: the session, the user and the messages
    # all live in the database that just failed.
    page = loader.get_template("503.html").render()
    response = HttpResponse(page, status=503)
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response
