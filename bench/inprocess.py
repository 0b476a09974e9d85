"""Where a small download's time goes inside Python, without servers or sockets.

``python -m bench.inprocess`` calls the WSGI applications directly, one request
after another, on a throwaway SQLite database: Portal's permission-checked
download, the naive Flask peer, and the pieces of Portal's request. It explains
the small-file row of ``make bench``; it is not a substitute for it. Each
Portal request is a browser's click (``Sec-Fetch-Mode: navigate``, signed
URLs on as in ``make serve``), answered in one hop.

``python -m bench.inprocess --click N`` only sets up and answers N fast-path
clicks, for an instruction count: ``valgrind --tool=callgrind
--collect-atstart=no --toggle-collect=deque_init`` counts the N clicks alone
(the loop runs inside ``deque()``); divide by N.
"""

from __future__ import annotations

import io
import os
import secrets
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path
from typing import Any

ROUNDS = 2000
Environ = dict[str, Any]


def per_call_ms(function: Callable[[], object], rounds: int = ROUNDS) -> float:
    """Best of three timings of `rounds` calls, in ms per call."""
    function()  # warm caches and lazy imports
    best = float("inf")
    for _ in range(3):
        started = time.perf_counter()
        for _ in range(rounds):
            function()
        best = min(best, (time.perf_counter() - started) / rounds * 1000)
    return best


class _FileWrapper:
    """Stands in for gunicorn's wsgi.file_wrapper, which would sendfile() the file."""

    def __init__(self, file: io.BufferedReader, block_size: int = 8192) -> None:
        self.file = file

    def __iter__(self) -> Iterator[bytes]:
        return iter(lambda: self.file.read(8192), b"")

    def close(self) -> None:
        self.file.close()


def call(app: Callable[..., Iterable[bytes]], path: str, cookie: str = "") -> tuple[str, int]:
    environ: Environ = {
        "HTTP_SEC_FETCH_MODE": "navigate",
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "wsgi.input": io.BytesIO(),
        "wsgi.errors": sys.stderr,
        "wsgi.url_scheme": "http",
        "wsgi.file_wrapper": _FileWrapper,
    }
    statuses: list[str] = []
    body = app(environ, lambda status, headers, exc_info=None: statuses.append(status))
    length = sum(len(chunk) for chunk in body)
    getattr(body, "close", lambda: None)()
    return statuses[0], length


def main(argv: list[str]) -> int:
    clicks = int(argv[argv.index("--click") + 1]) if "--click" in argv else None
    with tempfile.TemporaryDirectory(prefix="portal-inprocess-") as tmp:
        root = Path(tmp)
        os.environ.update(
            DJANGO_SETTINGS_MODULE="portal.settings",
            DATABASE_URL=f"sqlite:///{root / 'db.sqlite3'}",
            PORTAL_VAR_DIR=str(root / "var"),
            PORTAL_MEDIA_ROOT=str(root / "media"),
            PORTAL_STATIC_ROOT=str(root),  # exists: whitenoise warns about a missing one
            PORTAL_SENDFILE="nginx",
            PORTAL_SIGNED_URL_SECRET="bench-inprocess-" + "s" * 32,
            SECRET_KEY="bench-inprocess-" + "x" * 40,
            ALLOWED_HOSTS="127.0.0.1",
            DEBUG="false",
        )
        for name in ("CACHE_URL", "REDIS_URL"):
            os.environ.pop(name, None)
        if clicks is None:
            report(root)
        else:
            click(clicks)
    return 0


def expect(result: object, wanted: object, what: str) -> None:
    if result != wanted:
        raise RuntimeError(f"{what}: got {result!r}, expected {wanted!r}")


def set_up() -> tuple[Any, Any]:
    """Django on the environment main() set, its tables, a user and their 4 KiB file."""
    # Django reads the environment set by main(), so it is imported only now.
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.core.management import call_command

    from files.uploads import intake

    call_command("migrate", verbosity=0)
    user = get_user_model().objects.create_user("bench", password=secrets.token_urlsafe())
    content = SimpleUploadedFile("small.bin", os.urandom(4096))
    [upload] = intake.store_uploads(user, [intake.describe_upload(content, "small.bin")])
    return user, upload


def signed_in(user: Any) -> str:
    """A session key of `user`'s, as their browser's cookie carries it."""
    from django.conf import settings
    from django.test import Client

    client = Client()
    client.force_login(user)
    return str(client.cookies[settings.SESSION_COOKIE_NAME].value)


def click(clicks: int) -> None:
    """Answers `clicks` fast-path clicks after one to warm up (for callgrind)."""
    user, upload = set_up()
    from django.conf import settings
    from django.core.handlers.wsgi import WSGIHandler

    from portal import fastpath

    cookie = f"{settings.SESSION_COOKIE_NAME}={signed_in(user)}"
    fast = fastpath.FastPath(WSGIHandler())
    download = upload.get_download_url()
    expect(call(fast, download, cookie), ("200 OK", 0), "fast path download")
    started = time.perf_counter()
    # Inside deque() so that callgrind --toggle-collect=deque_init counts the clicks alone.
    deque((call(fast, download, cookie) for _ in range(clicks)), maxlen=0)
    spent = time.perf_counter() - started
    expect(fast.answered, clicks + 1, "answered by the fast path")
    if clicks:
        print(f"{clicks} fast-path clicks, {spent / clicks * 1e6:.1f} us each")


def report(root: Path) -> None:
    user, upload = set_up()
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.contrib.sessions.models import Session
    from django.core.handlers.wsgi import WSGIHandler
    from django.db import connection
    from django.test import Client, override_settings

    from bench.flaskapp import app as flask_app
    from files import access

    download = upload.get_download_url()

    def timed(label: str, app: Callable[..., Iterable[bytes]], path: str, cookie: str = "") -> None:
        # Counted by SQLite itself: the fast path runs its statements on the
        # driver's cursor, past Django's execute wrappers and connection.queries.
        queries: list[str] = []
        connection.ensure_connection()
        connection.connection.set_trace_callback(queries.append)
        try:
            call(app, path, cookie)
        finally:
            connection.connection.set_trace_callback(None)
        ms = per_call_ms(lambda: call(app, path, cookie))
        print(f"  {label:52} {ms:6.3f} ms  {len(queries)} SQL")

    print(f"One request at a time, best of 3 x {ROUNDS}, ms per request (4 KiB file):")
    cookie_name = settings.SESSION_COOKIE_NAME
    for engine in ("db", "signed_cookies"):
        with override_settings(SESSION_ENGINE=f"django.contrib.sessions.backends.{engine}"):
            client = Client()
            client.force_login(user)
            cookie = f"{cookie_name}={client.cookies[cookie_name].value}"
            portal = WSGIHandler()  # builds its middleware under this session engine
            expect(call(portal, download, cookie), ("200 OK", 0), "download")
            timed(f"Portal download, {engine} sessions", portal, download, cookie)
    from portal import fastpath

    session_key = signed_in(user)
    cookie = f"{cookie_name}={session_key}"
    fast = fastpath.FastPath(WSGIHandler())
    expect(call(fast, download, cookie), ("200 OK", 0), "fast path download")
    timed("Portal download, fast path (portal/fastpath.py)", fast, download, cookie)
    portal = WSGIHandler()
    expect(call(portal, download)[0], "302 Found", "anonymous download")
    timed("Portal, anonymous: middleware redirects to login", portal, download)
    flask_path = f"/raw/{upload.file.name}"
    expect(call(flask_app, flask_path), ("200 OK", 4096), "Flask download")
    timed("Flask send_from_directory, no check", flask_app, flask_path)

    fast_path_steps(fast, download, cookie, session_key, user, upload)

    print("The three lookups of a download, through the ORM and as raw SQL:")
    cursor = connection.cursor()
    lookups: dict[str, Callable[[], object]] = {
        "session: Session.objects.get(session_key=)": lambda: Session.objects.get(
            session_key=session_key
        ),
        "user: User.objects.get(pk=)": lambda: get_user_model().objects.get(pk=user.pk),
        "file: readable_files(user).get(pk=)": lambda: access.readable_files(user).get(
            pk=upload.pk
        ),
        "file, raw SQL on the same cursor": lambda: cursor.execute(
            "SELECT * FROM files_uploadedfile WHERE id = %s AND owner_id = %s",
            [upload.pk.hex, user.pk],
        ).fetchone(),
    }
    for label, lookup in lookups.items():
        print(f"  {label:52} {per_call_ms(lookup) * 1000:6.0f} us")


def fast_path_steps(
    fast: Any, download: str, cookie: str, session_key: str, user: Any, upload: Any
) -> None:
    """The fast path's click, step by step (each step alone, in a loop), and their sum.

    Alone, a step runs warm (its code and data in the CPU's caches, its
    branches learnt), so the sum falls short of the whole click by what
    running them one after another costs.
    """
    from django.core import signals
    from django.core.handlers.wsgi import WSGIHandler, WSGIRequest
    from django.db import DEFAULT_DB_ALIAS, connection, connections
    from django.http import HttpResponse

    from files import access, delivery
    from files.models import DownloadEvent
    from files.sharing import audit
    from portal import fastpath

    environ: Environ = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": download,
        "QUERY_STRING": "",
        "SERVER_NAME": "127.0.0.1",
        "SERVER_PORT": "80",
        "HTTP_HOST": "127.0.0.1",
        "HTTP_COOKIE": cookie,
        "HTTP_SEC_FETCH_MODE": "navigate",
        "REMOTE_ADDR": "127.0.0.1",
        "wsgi.input": io.BytesIO(),
        "wsgi.url_scheme": "http",
    }
    request = WSGIRequest(environ)
    request.user = user
    response = delivery.serve(request, upload)
    if not isinstance(response, HttpResponse):
        raise RuntimeError(f"expected an HttpResponse, got {response!r}")
    compiled = access.compiled_readable(staff=False)
    file_id = str(upload.pk)
    connection.ensure_connection()
    driver = connection.connection.cursor()  # the fast path's cursor: the driver's own
    row = fastpath.run(driver, *compiled.statement(user.pk, upload.pk)).fetchone()
    insert = audit.permitted_insert(request, upload, response)
    if insert is None:
        raise RuntimeError("the fast path would not note this download")

    def connect() -> None:
        # As the fast path: the connection looked up once (each attribute of
        # django.db.connection is a lookup of its own, ~1 us).
        default = connections[DEFAULT_DB_ALIAS]
        default.close_if_health_check_failed()
        default.ensure_connection()
        with default.wrap_database_errors:
            default.connection.cursor().close()

    def insert_raw() -> None:
        with connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO files_downloadevent (file_id, file_name, owner_id, user_id, ip, via, "
                "created) VALUES (%s, %s, %s, %s, %s, %s, %s)",
                [upload.pk.hex, upload.name, user.pk, user.pk, "127.0.0.1", "direct", "2026-01-01"],
            )

    # In the order of FastPath.__call__; together, one click.
    steps: dict[str, Callable[[], object]] = {
        "URL, method, enabled()": lambda: (
            fastpath.DOWNLOAD_PATH.fullmatch(download) and fastpath.enabled()
        ),
        "signals: request_started, request_finished": lambda: (
            signals.request_started.send(sender=WSGIHandler, environ=environ),
            signals.request_finished.send(sender=WSGIHandler),
        ),
        "request object (WSGIRequest), file id": lambda: (
            WSGIRequest(environ),
            uuid.UUID(file_id),
        ),
        "Host verdict, session key from the cookie": lambda: (
            fastpath.allowed_host(request._get_raw_host()),
            fastpath.session_key_of(cookie),
        ),
        "connection: health check, driver's cursor": connect,
        "session + user: SELECT(s), decode, hash": lambda: fastpath.authenticated_user(
            session_key, driver
        ),
        "access: compiled readable_files, one SELECT": lambda: fastpath.run(
            driver, *access.compiled_readable(staff=False).statement(user.pk, upload.pk)
        ).fetchone(),
        "file: its instance, remembered per row": lambda: fastpath.readable_file(
            compiled, tuple(row)
        ),
        "scanner: access.withheld()": lambda: access.withheld(upload, user),
        "response: delivery.serve (headers, X-Accel)": lambda: delivery.serve(request, upload),
        "headers: the middleware's (once per shape)": lambda: fastpath.answer_headers(
            request, response
        ),
        "audit values: audit.permitted_insert": lambda: audit.permitted_insert(
            request, upload, response
        ),
        "audit INSERT, the driver's cursor, autocommit": lambda: fastpath.run(driver, *insert),
    }
    print("The fast path's click, each step alone (us):")
    whole = per_call_ms(lambda: call(fast, download, cookie)) * 1000
    total = 0.0
    for label, step in steps.items():
        spent = per_call_ms(step) * 1000
        total += spent
        print(f"  {label:52} {spent:6.1f}")
    print(f"  {'sum of the steps':52} {total:6.1f}")
    print(f"  {'the whole click, for comparison':52} {whole:6.1f}")
    print("The audit row other ways (us):")
    others: dict[str, Callable[[], object]] = {
        "audit.record (the ORM's INSERT, autocommit)": lambda: audit.record(
            request, upload, response
        ),
        "the same INSERT as raw SQL through Django's cursor": insert_raw,
    }
    for label, step in others.items():
        print(f"  {label:52} {per_call_ms(step) * 1000:6.1f}")
    frames = wal_frames(lambda: fastpath.run(driver, *insert))
    print(f"  {'pages written per INSERT (SQLite WAL frames)':52} {frames:6.1f}")
    DownloadEvent.objects.all().delete()


def wal_frames(insert: Callable[[], None], rounds: int = 100) -> float:
    """SQLite's WAL frames per INSERT: one per B-tree page touched (the table, each index)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("PRAGMA page_size")
        [page_size] = cursor.fetchone()
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")  # empties the WAL
    for _ in range(rounds):  # 100 x ~7 frames: under the 1,000 of an automatic checkpoint
        insert()
    wal = Path(connection.settings_dict["NAME"] + "-wal").stat().st_size
    return (wal - 32) / (page_size + 24) / rounds  # a 32-byte header, then frames


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
