"""The download fast path: a permitted click on /files/<uuid>/download/ without Django's machinery.

A WSGI layer in front of Django (portal/wsgi.py). For a plain GET of a
download URL it does what the Django view does, in fewer steps:

1. the session and its user, read with one SELECT (two on a session's
   first click; with cached_db, one cache round trip and the user's SELECT)
   and verified as `django.contrib.auth.get_user` verifies them: expiry,
   the backend, an active user, the password-change session hash, and as
   accounts.middleware.TwoFactorMiddleware would let it through;
2. the file, through `files.access.compiled_readable`: readable_files(user)
   compiled once into one SQL statement, run on every click;
3. the response, built by `files.delivery.serve` as the view builds it, then
   given the headers the middleware chain adds (X-Frame-Options,
   Content-Length, Vary: Cookie, Referrer-Policy, COOP, HSTS on HTTPS),
   found by running the middleware's own process_response once per
   response shape (`answer_headers`);
4. the audit row the view writes, `files.sharing.audit.permitted_insert`
   (one INSERT instead of the ORM's create()), committed before the answer
   is returned.

The statements run on the database driver's own cursor (`run`), not
through Django's cursor wrapper; Django still wraps their errors. What is
a pure function of a header or a row (the Host's verdict, the session key
in a Cookie header, a decoded session, the session hash, the user's and
the file's model instances) is remembered per process, bounded, and
forgotten when a setting changes; every check runs on every click.

Anything it is not sure of falls through to Django, which then answers
exactly as before: no cookie, an expired or logged-out session, a session
hash that does not match (Django flushes it), a hash that matches only an
old SECRET_KEY (Django rotates it), a file the user may not read (the 404
page), HEAD, a body, a bad Host, an HTTP request where SECURE_SSL_REDIRECT
wants HTTPS. Only a permitted download is answered here, so the fast path
can only ever say "yes" where Django says "yes" (portal/tests/test_fastpath.py
compares the two byte for byte).

It is on only while the middleware list and session engine are the ones it
reproduces (`enabled()`); a new middleware (say, a second factor check)
turns it off until this module learns what that middleware does.
docs/performance.md has the profile this answers.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable
from contextlib import closing
from functools import cache, lru_cache
from typing import Any

from django.conf import settings
from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.base import SessionBase
from django.core import signals
from django.core.exceptions import DisallowedHost
from django.core.handlers.wsgi import WSGIHandler, WSGIRequest, get_str_from_wsgi
from django.core.signals import setting_changed
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections
from django.db.backends.base.base import BaseDatabaseWrapper
from django.dispatch import receiver
from django.http import HttpRequest, HttpResponse, parse_cookie
from django.http.response import HttpResponseBase
from django.middleware.clickjacking import XFrameOptionsMiddleware
from django.middleware.common import CommonMiddleware
from django.middleware.csrf import CsrfViewMiddleware
from django.middleware.security import SecurityMiddleware
from django.utils import timezone
from django.utils.cache import patch_vary_headers
from django.utils.crypto import constant_time_compare
from django.utils.module_loading import import_string

from accounts.middleware import VERIFIED as TWO_FACTOR_VERIFIED
from accounts.models import User
from files import access, delivery
from files.models import UploadedFile
from files.sharing import audit

StartResponse = Callable[..., Any]
WSGIApp = Callable[[dict[str, Any], StartResponse], Iterable[bytes]]

# The download URL's shape exactly as Django's <uuid:pk> converter matches it.
DOWNLOAD_PATH = re.compile(
    r"/files/([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})/download/"
)
MODEL_BACKEND = "django.contrib.auth.backends.ModelBackend"
# The chain this module reproduces for a permitted download. Of these, only
# XFrameOptions, Common, Session and Security change such a response; the
# others act on other requests (bodies, POSTs, anonymous users, lock-outs,
# static files) or not at all.
KNOWN_MIDDLEWARE = [
    "portal.middleware.DrainUnreadBody",
    "django.middleware.security.SecurityMiddleware",
    # Adds the page CSP only where no CSP is set: a download always has its own.
    "portal.middleware.PageSecurityPolicy",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The reader's time zone: nothing of a download's response depends on it
    # (HTTP dates are GMT, the audit row's time UTC).
    "portal.timezones.ReaderTimeZone",
    # Its rule is checked in authenticated_user(); when it would act, Django answers.
    "accounts.middleware.TwoFactorMiddleware",
    # Acts on PORTAL_BEARER_PATHS only (/files/tus/), never on a download URL.
    "accounts.bearer.BearerTokenMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
]
SESSION_ENGINES = (
    "django.contrib.sessions.backends.db",
    "django.contrib.sessions.backends.cached_db",
)


@cache
def enabled() -> bool:
    """Whether the settings are those the fast path answers exactly as Django would.

    Cached (reading ten settings costs ~30 us a request); a changed setting
    (tests) clears it.
    """
    return (
        list(settings.MIDDLEWARE) == KNOWN_MIDDLEWARE
        and settings.SESSION_ENGINE in SESSION_ENGINES
        and not settings.SESSION_SAVE_EVERY_REQUEST
        and not settings.DISALLOWED_USER_AGENTS
        and not settings.PREPEND_WWW
        and not settings.FORCE_SCRIPT_NAME
        and settings.PORTAL_STORAGE == "local"
        and settings.PORTAL_SENDFILE in ("nginx", "apache")
        and MODEL_BACKEND in settings.AUTHENTICATION_BACKENDS
        # A download URL taking a Bearer token is the token middleware's, not ours.
        and not any(
            f"/files/{uuid.UUID(int=0)}/download/".startswith(path)
            for path in settings.PORTAL_BEARER_PATHS
        )
    )


@receiver(setting_changed)
def _settings_changed(**kwargs: object) -> None:
    enabled.cache_clear()
    _middleware.cache_clear()
    _csrf.cache_clear()
    _added.clear()
    driver_sql.cache_clear()
    _session_store.cache_clear()
    _decoded.cache_clear()
    _session_users.clear()
    session_auth_hash.cache_clear()
    allowed_host.cache_clear()
    session_key_of.cache_clear()
    readable_file.cache_clear()
    _user.cache_clear()


def _no_response(request: Any) -> HttpResponseBase:
    raise AssertionError("the fast path only borrows process_response")


@cache
def _middleware() -> tuple[XFrameOptionsMiddleware, CommonMiddleware, SecurityMiddleware]:
    # Built on first use: SecurityMiddleware reads its settings in __init__.
    return (
        XFrameOptionsMiddleware(_no_response),
        CommonMiddleware(_no_response),
        SecurityMiddleware(_no_response),
    )


class FastPath:
    """WSGI middleware: answers permitted downloads itself, hands everything else to `app`."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app
        self.answered = 0  # permitted downloads answered here (tests and the bench read it)

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> Iterable[bytes]:
        match = DOWNLOAD_PATH.fullmatch(environ.get("PATH_INFO", ""))
        if (
            match is None
            or environ.get("REQUEST_METHOD") != "GET"
            or environ.get("CONTENT_LENGTH") not in (None, "", "0")
            or "HTTP_TRANSFER_ENCODING" in environ
            or environ.get("SCRIPT_NAME")
            or not enabled()
        ):
            return self.app(environ, start_response)
        # As Django's handler: the connection's age, and any error it met, are checked per request.
        signals.request_started.send(sender=WSGIHandler, environ=environ)
        try:
            answer = self.download(environ, uuid.UUID(match[1]))
        except DatabaseError:
            # A database that is away, or a connection it dropped: Django answers,
            # as it would have alone. Its request_started checks the connection
            # again (reconnecting), and its handler500 answers a database that is
            # still away with a 503 (portal/views.py), never a bare 500.
            answer = None
        if answer is None:
            return self.app(environ, start_response)
        self.answered += 1
        start_response(*answer)
        return Answered([b""])

    def download(
        self, environ: dict[str, Any], file_id: uuid.UUID
    ) -> tuple[str, list[tuple[str, str]]] | None:
        """The status and headers of a permitted download, audit row written; None: Django's."""
        request = WSGIRequest(environ)
        # get_host() in two halves: the Host as Django reads it (X-Forwarded-Host,
        # Host or SERVER_NAME), then its verdict, remembered per Host.
        if not allowed_host(request._get_raw_host()):  # type: ignore[attr-defined]
            return None
        if settings.SECURE_SSL_REDIRECT and not request.is_secure():
            return None
        session_key = session_key_of(environ.get("HTTP_COOKIE", ""))
        if session_key is None:
            return None
        connection = connections[DEFAULT_DB_ALIAS]
        # The driver's own cursor: Django's wrapper around each statement (the
        # placeholder rewrite, the wrappers, the debug log) was ~15 % of a click.
        # Its errors still become Django's and mark the connection for checking.
        # No health check first (a SELECT 1, one round trip on PostgreSQL, ~8 %
        # of a click there): a connection the database dropped fails its first
        # statement instead, and Django answers (__call__).
        connection.ensure_connection()
        with connection.wrap_database_errors, closing(driver_cursor(connection)) as cursor:
            user = authenticated_user(session_key, cursor)
            if user is None:
                return None
            compiled = access.compiled_readable(staff=user.is_staff)
            row = run(cursor, *compiled.statement(user.pk, file_id)).fetchone()
            if row is None:
                return None
            upload = readable_file(compiled, tuple(row))
            # Not cleared by the virus scanner for this reader (files.scanning):
            # Django answers with its page.
            if access.withheld(upload, user):
                return None
            request.user = user
            response = delivery.serve(request, upload)
            headers = answer_headers(request, response)
            insert = audit.permitted_insert(request, upload, response)
            if headers is None or insert is None:
                return None
            run(cursor, *insert)
        return f"{response.status_code} {response.reason_phrase}", headers


class Answered(list[bytes]):
    """A permitted download's empty body (the front server sends the bytes)."""

    def close(self) -> None:
        # As Django's responses do when the server closes them.
        signals.request_finished.send(sender=WSGIHandler)


def driver_cursor(connection: BaseDatabaseWrapper) -> Any:
    """The driver's own cursor; on PostgreSQL, one that can prepare when the operator allows it.

    Django's psycopg cursors bind parameters on the client, so PostgreSQL
    plans every statement again: ~400 us of the access statement's ~530 on
    each click. With DATABASE_PREPARE_THRESHOLD (Django's `prepare_threshold`,
    off by default for connection poolers), psycopg prepares a statement
    after that many runs on a cursor that binds on the server, and the plan
    is reused (docs/performance.md, "Prepared statements, where the operator
    allows them").
    """
    driver = connection.connection
    if getattr(driver, "prepare_threshold", None) is None:
        return driver.cursor()
    import psycopg  # only a PostgreSQL connection has a prepare_threshold

    return psycopg.Cursor(driver)


def run(cursor: Any, sql: str, params: list[object]) -> Any:
    """Execute Django-style SQL on the driver's cursor (SQLite's placeholders rewritten once)."""
    cursor.execute(driver_sql(sql), params)
    return cursor


@lru_cache(maxsize=64)
def driver_sql(sql: str) -> str:
    """`sql` as the driver takes it: Django's SQLite cursor rewrites %s to ?, psycopg takes %s."""
    with closing(connections[DEFAULT_DB_ALIAS].create_cursor()) as cursor:
        convert = getattr(cursor, "convert_query", None)
        return sql if convert is None else convert(sql)


def answer_headers(
    request: WSGIRequest, response: HttpResponseBase
) -> list[tuple[str, str]] | None:
    """The response's headers and what the middleware chain adds to them; None: not sure.

    The chain (XFrameOptions, Common, Session, Security) only adds headers a
    response lacks, from the settings, the body's length, the status and the
    request's scheme: to every empty response with the same status and the
    same header names it adds the same. So it runs once per such shape
    (`added_headers`), not on each click. Only an empty 200 or 302 without
    cookies is answered here.
    """
    if (
        response.status_code not in (200, 302)
        or not isinstance(response, HttpResponse)
        or response.content
        or response.cookies
    ):
        return None
    shape = (request.is_secure(), response.status_code, tuple(response.headers))
    if shape not in _added:
        _added[shape] = added_headers(request, response)
    added = _added[shape]
    return None if added is None else [*response.items(), *added]


# (secure, status, header names) -> what the chain adds; a handful of shapes,
# all made by files.delivery.
_added: dict[tuple[bool, int, tuple[str, ...]], tuple[tuple[str, str], ...] | None] = {}


def added_headers(
    request: WSGIRequest, response: HttpResponse
) -> tuple[tuple[str, str], ...] | None:
    """What the middleware chain adds to a copy of `response`, in the chain's order.

    None if it would change a header the response has (a Vary it merges into):
    then Django answers each time.
    """
    template = HttpResponse(status=response.status_code)
    for name, value in response.items():
        template[name] = value
    frame, common, security = _middleware()
    # Each changes the response in place (Common replaces only a 404).
    frame.process_response(request, template)
    common.process_response(request, template)
    # SessionMiddleware: the session was read, so the answer varies by cookie.
    patch_vary_headers(template, ("Cookie",))
    security.process_response(request, template)
    if any(template[name] != value for name, value in response.items()):
        return None
    return tuple((name, value) for name, value in template.items() if name not in response)


# Pure functions of a header and the settings (a changed setting clears them),
# remembered: a reader's browser sends the same Host and Cookie on every click.
# Bounded: the headers are the client's to fill.
@lru_cache(maxsize=256)
def allowed_host(raw_host: str) -> bool:
    """Whether HttpRequest.get_host() takes this Host (ALLOWED_HOSTS, DEBUG's defaults)."""
    probe = HttpRequest()
    probe.META = {"HTTP_HOST": raw_host}
    try:
        probe.get_host()
    except DisallowedHost:
        return False
    return True


@lru_cache(maxsize=1024)
def session_key_of(cookie_header: str) -> str | None:
    """The session key in a Cookie header, as request.COOKIES and the session engine read it.

    None: no session cookie, or one the engine treats as absent (too short);
    or a CSRF cookie CsrfViewMiddleware would replace (malformed), which puts
    a Set-Cookie on Django's answer.
    """
    cookies = parse_cookie(get_str_from_wsgi({"HTTP_COOKIE": cookie_header}, "HTTP_COOKIE", ""))
    session_key = cookies.get(settings.SESSION_COOKIE_NAME)
    if not session_key:
        return None
    if not settings.CSRF_USE_SESSIONS:
        probe = HttpRequest()
        probe.COOKIES = cookies
        _csrf().process_request(probe)
        if probe.META.get("CSRF_COOKIE_NEEDS_UPDATE"):
            return None
    key: str | None = _session_store()(session_key).session_key
    return key


@cache
def _csrf() -> CsrfViewMiddleware:
    return CsrfViewMiddleware(_no_response)


def authenticated_user(session_key: str, cursor: Any) -> User | None:
    """The user of a valid session, verified as django.contrib.auth.get_user does; else None.

    None also where Django would change the session (a hash verified by an
    old SECRET_KEY is rotated; a wrong one flushes it): Django does that.
    """
    # The user this session named last time: their row comes with the session's.
    guess = _session_users.get(session_key)
    data, user_row = session_and_user(session_key, guess, cursor)
    if not data or data.get(BACKEND_SESSION_KEY) != MODEL_BACKEND:
        return None
    try:
        user_id = User._meta.pk.to_python(data[SESSION_KEY])
    except Exception:  # noqa: BLE001 - a malformed id is Django's to handle
        return None
    if user_row is None or user_id != guess:
        # First click, the cache engine, or the session now names someone else:
        # the user's row by the id just decoded, in a statement of its own.
        if len(_session_users) >= CACHED_SESSIONS:
            _session_users.clear()
        _session_users[session_key] = user_id
        user_row = run(cursor, _user_sql(), [user_id]).fetchone()
    user = active_user(user_row)
    if user is None:
        return None
    session_hash = data.get(HASH_SESSION_KEY)
    expected = session_auth_hash(user.password)
    if not session_hash or not constant_time_compare(session_hash, expected):
        return None
    # accounts.middleware.TwoFactorMiddleware: a two-factor account whose session
    # never gave its code is signed out there; staff without two-factor are sent
    # to its set-up page when it is required. Django does both.
    if user.two_factor and not data.get(TWO_FACTOR_VERIFIED):
        return None
    if settings.PORTAL_REQUIRE_2FA_FOR_STAFF and user.is_staff and not user.two_factor:
        return None
    return user


# Session key -> the user id its data held when last decoded. Only a guess of
# which user row to read with the session row: the id decoded on every click
# must equal it, or that user's row is read on its own. Bounded like the caches below.
_session_users: dict[str, object] = {}


def session_and_user(
    session_key: str, user_id: object, cursor: Any
) -> tuple[dict[str, Any] | None, tuple[object, ...] | None]:
    """The decoded session, if it exists and has not expired (the engine's own rules).

    With a `user_id` and the db engine, the same SELECT reads that user's row
    too: (session, the row or (None, ...) if there is no such user). Else
    (session, None): the caller reads the user.
    """
    if settings.SESSION_ENGINE != "django.contrib.sessions.backends.db":
        # cached_db: one cache round trip, the database on a miss (Django's load()).
        return _session_store()(session_key).load() or None, None
    now = timezone.now()
    if user_id is None:
        # The db engine's load() as one SELECT instead of a model query (~0.2 ms of ORM).
        row = run(cursor, _session_sql(), [session_key, now]).fetchone()
        return (None, None) if row is None else (decoded(row[0]), None)
    row = run(cursor, _session_and_user_sql(), [user_id, session_key, now]).fetchone()
    return (None, None) if row is None else (decoded(row[0]), row[1:])


# A signed-in reader clicks with the same session row again and again, and
# decoding it (base64, the HMAC's key derivation and HMAC, JSON) is ~10% of a
# click (docs/performance.md). The result depends only on the row's text and
# the secret keys (a changed setting clears the caches), so it is remembered.
# Bounded: a process holds at most this many sessions' data (a few MB).
CACHED_SESSIONS = 4096


@lru_cache(maxsize=CACHED_SESSIONS)
def _decoded(session_data: str) -> tuple[tuple[str, Any], ...]:
    # Immutable, so no caller can change what the next request reads.
    return tuple(_session_store()().decode(session_data).items())


def decoded(session_data: str) -> dict[str, Any]:
    """SessionBase.decode(session_data): the session's dict ({} if its signature fails)."""
    return dict(_decoded(session_data))


@lru_cache(maxsize=CACHED_SESSIONS)
def session_auth_hash(password: str) -> str:
    """User.get_session_auth_hash() for this password hash (its only input besides SECRET_KEY)."""
    return User(password=password).get_session_auth_hash()


@cache
def _session_store() -> type[SessionBase]:
    store: type[SessionBase] = import_string(settings.SESSION_ENGINE + ".SessionStore")
    return store


SESSION_COLUMNS = ("session_data", "session_key", "expire_date")


@cache
def _session_sql() -> str:
    table, data, key, expires = _session_names()
    return f"SELECT {data} FROM {table} WHERE {key} = %s AND {expires} > %s"  # noqa: S608


@cache
def _session_and_user_sql() -> str:
    """The session's SELECT and the user's as one (the user's columns NULL: no such user)."""
    table, data, key, expires = _session_names()
    user_table, user_columns, user_pk = _user_names()
    columns = ", ".join(f"{user_table}.{column}" for column in user_columns)
    return (
        f"SELECT {table}.{data}, {columns} FROM {table} "  # noqa: S608
        f"LEFT OUTER JOIN {user_table} ON {user_table}.{user_pk} = %s "
        f"WHERE {table}.{key} = %s AND {table}.{expires} > %s"
    )


def _session_names() -> tuple[str, ...]:
    """The session table and its data, key and expiry columns, quoted."""
    model = _session_store().get_model_class()  # type: ignore[attr-defined]
    meta = model._meta
    qn = connections[model.objects.db].ops.quote_name
    # Only names from the model's own metadata, quoted; the values are parameters.
    return (qn(meta.db_table), *(qn(meta.get_field(name).column) for name in SESSION_COLUMNS))


# A row's model instance depends on the row alone (and the settings: a changed
# setting clears them), and the same file and user come back click after click:
# building them (Model.from_db, the columns' converters) was ~15 % of a
# click's instructions (docs/performance.md, fourth round).
# Remembered, so shared between requests and threads: the fast path, delivery
# and the audit only read them (test_fastpath.py checks that nothing changes them).
CACHED_ROWS = 1024


@lru_cache(maxsize=CACHED_ROWS)
def readable_file(compiled: access.CompiledReadable, row: tuple[object, ...]) -> UploadedFile:
    """compiled.file(row): the file of a row its statement returned."""
    return compiled.file(row)


def active_user(row: tuple[object, ...] | None) -> User | None:
    """ModelBackend.get_user on the user's row: the user, if they exist and may log in."""
    if row is None or row[0] is None:
        return None
    return _user(tuple(row))


@lru_cache(maxsize=CACHED_ROWS)
def _user(row: tuple[object, ...]) -> User | None:
    user = User.from_db(User.objects.db, _user_fields(), row)
    # SQLite answers 0/1; the ORM would convert them.
    user.is_active, user.is_staff = bool(user.is_active), bool(user.is_staff)
    user.two_factor = bool(user.two_factor)
    return user if user.is_active else None


@cache
def _user_fields() -> list[str]:
    """What the session hash, the access rule and the audit row need of the user.

    In the model's field order, which Model.from_db expects; the id first.
    """
    wanted = {"id", "password", "is_active", "is_staff", "two_factor"}
    fields = [field.attname for field in User._meta.concrete_fields if field.attname in wanted]
    if fields[0] != "id":  # active_user() reads a missing user from the id's NULL
        raise AssertionError(f"the user's id is not its first column: {fields}")
    return fields


@cache
def _user_sql() -> str:
    table, columns, pk = _user_names()
    # Only names from the model's own metadata, quoted; the id is a parameter.
    return f"SELECT {', '.join(columns)} FROM {table} WHERE {pk} = %s"  # noqa: S608


def _user_names() -> tuple[str, list[str], str]:
    """The user table, the columns of _user_fields() and the primary key, quoted."""
    meta = User._meta
    qn = connections[User.objects.db].ops.quote_name
    wanted = _user_fields()
    columns = [qn(f.column) for f in meta.concrete_fields if f.attname in wanted]
    return qn(meta.db_table), columns, qn(meta.pk.column)


def wrap(app: WSGIApp) -> WSGIApp:
    """portal/wsgi.py's application: the fast path, then Django (PORTAL_FAST_PATH=0: Django)."""
    return FastPath(app) if settings.PORTAL_FAST_PATH else app
