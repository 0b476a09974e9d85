"""Where /dav/ joins the WSGI application (portal/wsgi.py), without importing WebDAV.

The door (files.dav.app) and wsgidav are imported by the first request under
/dav/: a worker that serves only pages and downloads never holds them (4 MiB;
docs/performance.md, "Worker memory").
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from files import contract

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]


def mount(django_app: WSGIApp) -> WSGIApp:
    """One WSGI application: /dav and below to WebDAV, the rest to Django."""
    prefix = contract.DAV_PREFIX
    door: WSGIApp | None = None

    def application(environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        nonlocal door
        path = environ.get("PATH_INFO", "")
        if path != prefix and not path.startswith(prefix + "/"):
            return django_app(environ, start_response)
        if door is None:
            from files.dav.app import DavDoor

            door = DavDoor()
        return door(environ, start_response)

    return application
