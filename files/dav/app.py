"""The WebDAV door: /dav/ in the same WSGI application as Django (files.dav.mount).

A request under /dav/ comes here instead of Django's URLconf:

1. Token auth: HTTP Basic with a personal access token as the password
   (accounts.tokens.token_from_basic: the account password is refused,
   failures count toward the sign-in lockout). No token: 401; locked out:
   429; a read-only token: 403 on every method that changes something.
2. GET and HEAD of a file: answered here, with the same permission lookup
   (files.access through the provider) and the same files.delivery response
   as the browser's download, so nginx or Apache sends the bytes
   (X-Accel-Redirect, X-Sendfile, the S3 proxy) with Range and conditional
   requests; the download trail records it.
3. Everything else: wsgidav, with our provider (files.dav.provider), locks
   in Redis (REDIS_URL) or the database, dead properties in the database.

wsgidav gets SCRIPT_NAME + "/dav" and the path below it, and `mount_path`
"/dav", so the hrefs it writes keep the prefix.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core import signals
from django.core.handlers.wsgi import WSGIRequest
from django.http.response import HttpResponseBase
from wsgidav import util  # type: ignore[import-untyped]
from wsgidav.dav_error import DAVError  # type: ignore[import-untyped]
from wsgidav.error_printer import ErrorPrinter  # type: ignore[import-untyped]
from wsgidav.request_resolver import RequestResolver  # type: ignore[import-untyped]
from wsgidav.wsgidav_app import WsgiDAVApp  # type: ignore[import-untyped]

from accounts import tokens
from files import access, contract, delivery
from files.dav.locks import DatabaseLockStorage
from files.dav.properties import DatabasePropertyManager
from files.dav.provider import FileResource, PortalProvider
from files.scanning.pages import withheld_page
from files.sharing import audit

MOUNT = contract.DAV_PREFIX
REALM = 'Basic realm="Portal", charset="UTF-8"'
# What a read-only token may do; every other method changes something.
READ_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PROPFIND"})

StartResponse = Callable[..., Any]


def lock_storage() -> Any:
    """Where locks live: Redis when REDIS_URL is set, else the database; both shared."""
    url = (
        settings.CACHE_URL if settings.CACHE_URL and settings.CACHE_URL.startswith("redis") else ""
    )
    if url:
        from wsgidav.lock_man.lock_storage_redis import (  # type: ignore[import-untyped]
            LockStorageRedis,
        )

        parts = urlsplit(url)
        database = parts.path.strip("/") or "0"
        return LockStorageRedis(
            host=parts.hostname or "127.0.0.1",
            port=parts.port or 6379,
            db=int(database) if database.isdigit() else 0,
            password=parts.password,
        )
    return DatabaseLockStorage()


def build_wsgidav() -> WsgiDAVApp:
    config = {
        "provider_mapping": {"/": PortalProvider()},
        "mount_path": MOUNT,
        # Authentication is ours (above); no CORS, no HTML directory pages.
        "middleware_stack": [ErrorPrinter, RequestResolver],
        "lock_storage": lock_storage(),
        "property_manager": DatabasePropertyManager(),
        # X-OC-Mtime on PUT sets the file's modification time (rclone, Nextcloud clients).
        "honor_mtime_header": True,
        # A PUT body is read 1 MiB at a time (wsgidav's default is 8 KiB), as
        # the upload handler reads a form's: fewer Python-level copies per GiB.
        "block_size": 1024 * 1024,
        "dir_browser": {"enable": False},
        "verbose": 1,
        "logging": {"enable": False},
        "suppress_version_info": True,
    }
    return WsgiDAVApp(config)


class DavDoor:
    """The WSGI application for /dav/; see the module docstring."""

    def __init__(self) -> None:
        self._wsgidav: WsgiDAVApp | None = None

    @property
    def wsgidav(self) -> WsgiDAVApp:
        # Built on first use: nothing reads settings or opens Redis at import time.
        if self._wsgidav is None:
            self._wsgidav = build_wsgidav()
        return self._wsgidav

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        signals.request_started.send(sender=self.__class__, environ=environ)
        try:
            body = self.handle(environ, start_response)
        except BaseException:
            signals.request_finished.send(sender=self.__class__)
            raise
        return _Finishing(body, self.__class__)

    def handle(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        path = environ.get("PATH_INFO", "")
        environ["SCRIPT_NAME"] = environ.get("SCRIPT_NAME", "").rstrip("/") + MOUNT
        environ["PATH_INFO"] = path[len(MOUNT) :] or "/"
        # A copy: WSGIRequest writes the decoded path into the dict it is given,
        # and wsgidav decodes PATH_INFO itself.
        request = WSGIRequest(dict(environ))
        try:
            token = tokens.token_from_basic(request)
        except tokens.LockedOut as locked:
            return _plain(
                start_response,
                "429 Too Many Requests",
                "Too many failed sign-ins: try again later.",
                [("Retry-After", str(locked.retry_after))],
            )
        if token is None:
            return _plain(
                start_response,
                "401 Unauthorized",
                "Sign in with your username and a personal access token as the password.",
                [("WWW-Authenticate", REALM)],
            )
        method = environ.get("REQUEST_METHOD", "GET").upper()
        if token.read_only and method not in READ_METHODS:
            return _plain(start_response, "403 Forbidden", "This token is read-only.", [])
        user = token.owner
        request.user = user
        environ["portal.user"] = user
        environ["wsgidav.auth.user_name"] = user.get_username()
        environ["wsgidav.auth.realm"] = "Portal"
        environ["wsgidav.auth.roles"] = []
        if method in ("DELETE", "MOVE") and environ["PATH_INFO"].strip("/") == "":
            # wsgidav has no parent to look up for the root; the top level stays.
            return _plain(start_response, "403 Forbidden", "The top level cannot go.", [])
        if method in ("GET", "HEAD"):
            sent = self.deliver(request, environ, start_response)
            if sent is not None:
                return sent
        if method == "PUT" and environ.get("HTTP_X_OC_MTIME"):
            start_response = _accepting_mtime(start_response)
        return self.wsgidav(environ, start_response)

    def deliver(
        self, request: WSGIRequest, environ: dict[str, Any], start_response: StartResponse
    ) -> Iterable[bytes] | None:
        """The browser's download response for a file; None for anything else (wsgidav's)."""
        try:
            path = util.normalize_path(util.re_encode_wsgi(environ["PATH_INFO"]))
        except DAVError:
            return None
        provider = self.wsgidav.provider_map["/"]
        environ["wsgidav.provider"] = provider
        resource = provider.get_resource_inst(path, environ)
        if not isinstance(resource, FileResource) or resource.stored is None:
            return None
        # What ClamAV has not cleared for this reader is not sent (files.scanning).
        reason = access.withheld(resource.stored, resource.user)
        if reason:
            return _send(withheld_page(request, resource.stored, reason), environ, start_response)
        response = delivery.serve(request, resource.stored)
        audit.record(request, resource.stored, response)
        return _send(response, environ, start_response)


def _send(
    response: HttpResponseBase, environ: dict[str, Any], start_response: StartResponse
) -> Iterable[bytes]:
    """A Django response as WSGI, as django.core.handlers.wsgi does; no body for HEAD."""
    headers = [*response.items()]
    headers += [("Set-Cookie", c.OutputString()) for c in response.cookies.values()]
    start_response(f"{response.status_code} {response.reason_phrase}", headers)
    if environ.get("REQUEST_METHOD", "").upper() == "HEAD":
        response.close()
        return []
    return response


def _plain(
    start_response: StartResponse, status: str, text: str, extra: list[tuple[str, str]]
) -> list[bytes]:
    body = (text + "\n").encode()
    headers = [
        ("Content-Type", "text/plain; charset=utf-8"),
        ("Content-Length", str(len(body))),
        ("X-Content-Type-Options", "nosniff"),
        *extra,
    ]
    start_response(status, headers)
    return [body]


def _accepting_mtime(start_response: StartResponse) -> StartResponse:
    """Tell a client that sent X-OC-Mtime with a PUT that it was applied, as Nextcloud does."""

    def start(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
        if status[:1] == "2":
            headers = [*headers, ("X-OC-MTime", "accepted")]
        return start_response(status, headers, exc_info)

    return start


class _Finishing:
    """The response body, sending request_finished (closing database connections) at close."""

    def __init__(self, body: Iterable[bytes], sender: type) -> None:
        self.body = body
        self.sender = sender

    def __iter__(self) -> Iterator[bytes]:
        return iter(self.body)

    def close(self) -> None:
        try:
            close = getattr(self.body, "close", None)
            if close is not None:
                close()
        finally:
            signals.request_finished.send(sender=self.sender)
