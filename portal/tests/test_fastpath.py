"""portal/fastpath.py answers exactly what Django answers, or lets Django answer.

Each case sends the same WSGI request to Django alone and to the fast path in
front of Django, and compares status, every header in order, and body; it
also says who answered, and counts the audit rows each side wrote.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import closing
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.auth import HASH_SESSION_KEY, SESSION_KEY
from django.contrib.sessions.backends.db import SessionStore
from django.contrib.sessions.models import Session
from django.core import signals
from django.core.handlers.wsgi import WSGIHandler
from django.db import DEFAULT_DB_ALIAS, close_old_connections, connection, connections
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from pytest_django import Settings

from accounts.middleware import VERIFIED
from accounts.models import User
from files import access
from files.history import trash
from files.models import DownloadEvent, Folder, ScanStatus, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder, make_file, make_folder  # noqa: F401
from portal import fastpath
from portal.fastpath import FastPath

Answer = tuple[str, list[tuple[str, str]], bytes]


@pytest.fixture(autouse=True)
def _nginx(settings: Settings) -> Iterator[None]:
    settings.PORTAL_SENDFILE = "nginx"
    settings.PORTAL_SIGNED_URL_SECRET = ""
    # As Django's test client does: closing "old" connections would close the
    # test's transaction (both handlers send request_started and _finished).
    for signal in (signals.request_started, signals.request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (signals.request_started, signals.request_finished):
        signal.connect(close_old_connections)


class Spy:
    """Django's WSGI handler, noting each request the fast path let through."""

    def __init__(self) -> None:
        self.django = WSGIHandler()
        self.calls = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.django(environ, start_response)


def environ(path: str, cookie: str = "", **extra: str) -> dict[str, Any]:
    env: dict[str, Any] = {
        "REQUEST_METHOD": "GET",
        "PATH_INFO": path,
        "SCRIPT_NAME": "",
        "QUERY_STRING": "",
        "SERVER_NAME": "testserver",
        "SERVER_PORT": "80",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "127.0.0.1",
        "HTTP_HOST": "testserver",
        "wsgi.input": io.BytesIO(b""),
        "wsgi.url_scheme": "http",
        "wsgi.errors": io.StringIO(),
    }
    if cookie:
        env["HTTP_COOKIE"] = f"sessionid={cookie}"
    env.update(extra)
    return env


def call(app: Any, env: dict[str, Any]) -> Answer:
    started: list[Any] = []

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        started.extend([status, headers])

    result = app(env, start_response)
    try:
        body = b"".join(result)
    finally:
        result.close()
    return started[0], started[1], body


def both(path: str, cookie: str = "", **extra: str) -> tuple[Answer, Answer, bool]:
    """(Django's answer, the fast path's, whether the fast path answered itself)."""
    django = call(WSGIHandler(), environ(path, cookie, **extra))
    spy = Spy()
    fast = FastPath(spy)
    answer = call(fast, environ(path, cookie, **extra))
    answered = fast.answered == 1
    assert answered != (spy.calls == 1)
    return django, answer, answered


def session_of(user: User) -> str:
    client = Client()
    client.force_login(user)
    return client.cookies["sessionid"].value


def url(upload: UploadedFile) -> str:
    return f"/files/{upload.pk}/download/"


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:  # noqa: F811
    return make_file(alice, "Résumé 2026.pdf", b"%PDF-1.4\n%%EOF\n")


@pytest.fixture
def shared_folder(alice: User, bob: User, make_folder: MakeFolder) -> Folder:  # noqa: F811
    folder = make_folder(alice, "Shared")
    grants.share(folder, bob)
    return folder


def assert_same_permitted(path: str, cookie: str, **extra: str) -> Answer:
    """Both answered the download alike, the fast path by itself, each with one audit row."""
    before = DownloadEvent.objects.count()
    django, fast, answered = both(path, cookie, **extra)
    assert answered
    assert fast == django
    assert DownloadEvent.objects.count() == before + 2
    return fast


def assert_falls_through(path: str, cookie: str = "", **extra: str) -> Answer:
    before = DownloadEvent.objects.count()
    django, fast, answered = both(path, cookie, **extra)
    assert not answered
    # Django answered both; pages carry a fresh CSRF token each time, so the
    # values may differ, never the status or which headers were sent.
    assert fast[0] == django[0]
    assert [name for name, _ in fast[1]] == [name for name, _ in django[1]]
    # Whatever the answer, each side wrote the same number of rows: none, or one each.
    assert (DownloadEvent.objects.count() - before) % 2 == 0
    return fast


def test_the_owner_gets_the_same_headers_byte_for_byte(alice: User, upload: UploadedFile) -> None:
    status, headers, body = assert_same_permitted(url(upload), session_of(alice))
    assert status == "200 OK"
    names = [name for name, _ in headers]
    for name in ("X-Accel-Redirect", "Content-Security-Policy", "X-Frame-Options", "Vary"):
        assert name in names
    assert body == b""


def test_the_audit_row_names_the_user_and_the_file(alice: User, upload: UploadedFile) -> None:
    assert_same_permitted(url(upload), session_of(alice))
    fast_row, django_row = DownloadEvent.objects.order_by("-id")[:2]
    for row in (fast_row, django_row):
        assert (row.file_id, row.user_id, row.owner_id) == (upload.pk, alice.pk, alice.pk)
        assert (row.via, row.ip, row.file_name) == ("direct", "127.0.0.1", "Résumé 2026.pdf")
        assert row.link_id is None
    assert timedelta(0) <= fast_row.created - django_row.created < timedelta(seconds=5)


def test_a_recipient_of_the_file_is_answered_by_the_fast_path(
    alice: User, bob: User, upload: UploadedFile
) -> None:
    grants.share(upload, bob)
    assert_same_permitted(url(upload), session_of(bob))


def test_a_recipient_of_a_folder_above_is_answered_by_the_fast_path(
    alice: User,
    bob: User,
    shared_folder: Folder,
    make_file: MakeFile,  # noqa: F811
    make_folder: MakeFolder,  # noqa: F811
) -> None:
    inner = make_folder(alice, "Inner", shared_folder)
    nested = make_file(alice, "deep.txt", b"deep", inner)
    assert_same_permitted(url(nested), session_of(bob))


def test_staff_is_answered_by_the_fast_path(staff: User, upload: UploadedFile) -> None:
    assert_same_permitted(url(upload), session_of(staff))


def test_a_signed_redirect_is_the_same_302(
    settings: Settings, alice: User, upload: UploadedFile
) -> None:
    settings.PORTAL_SIGNED_URL_SECRET = "s" * 32
    status, headers, _ = assert_same_permitted(url(upload), session_of(alice))
    assert status == "302 Found"
    assert dict(headers)["Location"].startswith("/_signed/")


def test_a_browsers_click_is_the_same_one_hop_answer(
    settings: Settings, alice: User, upload: UploadedFile
) -> None:
    settings.PORTAL_SIGNED_URL_SECRET = "s" * 32
    status, headers, _ = assert_same_permitted(
        url(upload), session_of(alice), HTTP_SEC_FETCH_MODE="navigate"
    )
    assert status == "200 OK"
    assert dict(headers)["X-Accel-Redirect"].startswith("/_protected/u/")
    row = DownloadEvent.objects.latest("id")
    assert row.via == "direct"


def test_a_session_whose_data_was_tampered_with_is_left_to_django(
    alice: User, upload: UploadedFile
) -> None:
    cookie = session_of(alice)
    assert_same_permitted(url(upload), cookie)  # its good data decoded (and remembered)
    session = Session.objects.get(session_key=cookie)
    Session.objects.filter(session_key=cookie).update(session_data=session.session_data + "x")
    assert assert_falls_through(url(upload), cookie)[0] == "302 Found"


def test_a_stranger_gets_djangos_404(charlie: User, upload: UploadedFile) -> None:
    status, _, _ = assert_falls_through(url(upload), session_of(charlie))
    assert status == "404 Not Found"


def test_an_unshared_file_is_djangos_404_again(
    alice: User, bob: User, upload: UploadedFile
) -> None:
    share = grants.share(upload, bob)
    cookie = session_of(bob)
    assert_same_permitted(url(upload), cookie)
    share.delete()
    assert assert_falls_through(url(upload), cookie)[0] == "404 Not Found"


def test_a_deleted_file_is_djangos_404(alice: User, upload: UploadedFile) -> None:
    cookie = session_of(alice)
    path = url(upload)
    upload.delete()
    assert assert_falls_through(path, cookie)[0] == "404 Not Found"


def test_anonymous_is_sent_to_log_in_by_django(upload: UploadedFile) -> None:
    status, headers, _ = assert_falls_through(url(upload))
    assert status == "302 Found"
    assert dict(headers)["Location"].startswith("/accounts/login/")


def test_a_forged_session_key_is_sent_to_log_in(upload: UploadedFile) -> None:
    assert assert_falls_through(url(upload), "x" * 32)[0] == "302 Found"


def test_an_expired_session_is_sent_to_log_in(alice: User, upload: UploadedFile) -> None:
    cookie = session_of(alice)
    Session.objects.filter(session_key=cookie).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert assert_falls_through(url(upload), cookie)[0] == "302 Found"


def test_a_logged_out_session_is_sent_to_log_in(alice: User, upload: UploadedFile) -> None:
    cookie = session_of(alice)
    Session.objects.filter(session_key=cookie).delete()
    assert assert_falls_through(url(upload), cookie)[0] == "302 Found"


def test_a_password_change_ends_the_session_on_the_fast_path_too(
    alice: User, upload: UploadedFile
) -> None:
    cookie = session_of(alice)
    assert_same_permitted(url(upload), cookie)
    alice.set_password("another password")
    alice.save()
    # Django flushes the session (both calls see the same stale cookie).
    assert assert_falls_through(url(upload), cookie)[0] == "302 Found"


def test_an_inactive_user_is_sent_to_log_in(alice: User, upload: UploadedFile) -> None:
    cookie = session_of(alice)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert assert_falls_through(url(upload), cookie)[0] == "302 Found"


def test_a_two_factor_session_that_gave_its_code_is_answered(
    alice: User, upload: UploadedFile
) -> None:
    User.objects.filter(pk=alice.pk).update(two_factor=True)
    client = Client()
    client.force_login(alice)
    session = client.session
    session[VERIFIED] = True
    session.save()
    assert_same_permitted(url(upload), session.session_key or "")


def test_a_two_factor_session_without_its_code_is_signed_out_by_django(
    alice: User, upload: UploadedFile
) -> None:
    User.objects.filter(pk=alice.pk).update(two_factor=True)
    assert assert_falls_through(url(upload), session_of(alice))[0] == "302 Found"


def test_staff_without_two_factor_is_left_to_django_when_it_is_required(
    settings: Settings, staff: User, upload: UploadedFile
) -> None:
    settings.PORTAL_REQUIRE_2FA_FOR_STAFF = True
    assert assert_falls_through(url(upload), session_of(staff))[0] == "302 Found"


def test_head_and_a_bad_host_are_left_to_django(alice: User, upload: UploadedFile) -> None:
    cookie = session_of(alice)
    assert_falls_through(url(upload), cookie, REQUEST_METHOD="HEAD")
    assert assert_falls_through(url(upload), cookie, HTTP_HOST="evil.example")[0].startswith("400")


def test_other_urls_are_left_to_django(alice: User, upload: UploadedFile) -> None:
    cookie = session_of(alice)
    assert_falls_through(f"/files/{upload.pk}/", cookie)
    assert_falls_through(f"/files/{str(upload.pk).upper()}/download/", cookie)
    assert_falls_through(f"/files/{upload.pk}/preview/", cookie)


def test_a_link_download_is_left_to_django_and_its_limit(alice: User, upload: UploadedFile) -> None:
    # Each comparison downloads twice (Django alone, then through the fast path).
    _, token = grants.create_link(upload, download_limit=2)
    path = f"/s/{token}/download/{upload.pk}/"
    assert assert_falls_through(path)[0] == "200 OK"
    assert assert_falls_through(path)[0] != "200 OK"


def test_a_new_middleware_turns_the_fast_path_off(
    settings: Settings, alice: User, upload: UploadedFile
) -> None:
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "django.middleware.gzip.GZipMiddleware"]
    assert_falls_through(url(upload), session_of(alice))


def test_the_fast_path_can_be_switched_off(settings: Settings) -> None:
    settings.PORTAL_FAST_PATH = False
    app = WSGIHandler()
    assert fastpath.wrap(app) is app


def test_a_file_the_scanner_withholds_is_left_to_django(
    alice: User, bob: User, upload: UploadedFile
) -> None:
    grants.share(upload, bob)
    UploadedFile.objects.filter(pk=upload.pk).update(scan_status=ScanStatus.PENDING)
    # Pending: the owner still gets it; a recipient gets Django's "being checked" page.
    assert_same_permitted(url(upload), session_of(alice))
    assert assert_falls_through(url(upload), session_of(bob))[0] == "409 Conflict"
    UploadedFile.objects.filter(pk=upload.pk).update(scan_status=ScanStatus.INFECTED)
    assert assert_falls_through(url(upload), session_of(alice))[0] == "403 Forbidden"


def test_a_trashed_file_is_djangos_404(alice: User, upload: UploadedFile) -> None:
    cookie = session_of(alice)
    trash.trash_file(upload, by=alice)
    assert assert_falls_through(url(upload), cookie)[0] == "404 Not Found"


def test_it_runs_no_statement_through_the_orm(alice: User, upload: UploadedFile) -> None:
    # Its statements go to the driver's cursor: an ORM query here would be a
    # field read from a deferred instance, or a lookup it should not need.
    cookie = session_of(alice)
    assert_same_permitted(url(upload), cookie)
    fast = FastPath(Spy())
    with CaptureQueriesContext(connection) as queries:
        call(fast, environ(url(upload), cookie))
    assert fast.answered == 1
    assert list(queries) == []


def test_a_session_that_names_another_user_is_read_for_that_user(
    alice: User,
    bob: User,
    upload: UploadedFile,
    make_file: MakeFile,  # noqa: F811
) -> None:
    # The first click remembers that the session named alice; the session row
    # then names bob (his id, his hash): the click is bob's, as Django says.
    cookie = session_of(alice)
    assert_same_permitted(url(upload), cookie)
    session = SessionStore(session_key=cookie)
    session[SESSION_KEY] = str(bob.pk)
    session[HASH_SESSION_KEY] = bob.get_session_auth_hash()
    session.save()
    assert assert_falls_through(url(upload), cookie)[0] == "404 Not Found"
    his = make_file(bob, "his.txt", b"his")
    assert_same_permitted(url(his), cookie)
    assert DownloadEvent.objects.latest("id").user_id == bob.pk


def test_a_logout_after_a_click_is_seen_at_the_next(alice: User, upload: UploadedFile) -> None:
    cookie = session_of(alice)
    assert_same_permitted(url(upload), cookie)
    Session.objects.filter(session_key=cookie).delete()
    assert assert_falls_through(url(upload), cookie)[0] == "302 Found"


def test_an_expiry_after_a_click_is_seen_at_the_next(alice: User, upload: UploadedFile) -> None:
    cookie = session_of(alice)
    assert_same_permitted(url(upload), cookie)
    Session.objects.filter(session_key=cookie).update(
        expire_date=timezone.now() - timedelta(seconds=1)
    )
    assert assert_falls_through(url(upload), cookie)[0] == "302 Found"


def test_a_user_deactivated_after_a_click_is_sent_to_log_in(
    alice: User, upload: UploadedFile
) -> None:
    cookie = session_of(alice)
    assert_same_permitted(url(upload), cookie)
    User.objects.filter(pk=alice.pk).update(is_active=False)
    assert assert_falls_through(url(upload), cookie)[0] == "302 Found"


def test_a_user_deleted_after_a_click_is_sent_to_log_in(
    alice: User, bob: User, upload: UploadedFile
) -> None:
    grants.share(upload, bob)
    cookie = session_of(bob)
    assert_same_permitted(url(upload), cookie)
    bob.delete()  # his session row stays; the user row it names is gone
    assert Session.objects.filter(session_key=cookie).exists()
    assert assert_falls_through(url(upload), cookie)[0] == "302 Found"


def test_a_host_allowed_once_never_lets_a_disallowed_one_through(
    settings: Settings, alice: User, upload: UploadedFile
) -> None:
    cookie = session_of(alice)
    assert_same_permitted(url(upload), cookie)
    assert assert_falls_through(url(upload), cookie, HTTP_HOST="evil.example")[0].startswith("400")
    forwarded = {"HTTP_X_FORWARDED_HOST": "evil.example"}
    settings.USE_X_FORWARDED_HOST = True
    assert assert_falls_through(url(upload), cookie, **forwarded)[0].startswith("400")
    # The remembered verdict goes with the setting it was made under.
    settings.USE_X_FORWARDED_HOST = False
    settings.ALLOWED_HOSTS = ["portal.example"]
    assert assert_falls_through(url(upload), cookie)[0].startswith("400")


def test_the_session_cookie_is_read_as_django_reads_it(
    settings: Settings, alice: User, upload: UploadedFile
) -> None:
    cookie = session_of(alice)
    others = f"csrftoken={'t' * 32}; sessionid={cookie}; theme=dark"
    assert_same_permitted(url(upload), "", HTTP_COOKIE=others)
    assert assert_falls_through(url(upload), "", HTTP_COOKIE="sessionid=short")[0] == "302 Found"
    # A malformed CSRF cookie: Django's answer replaces it (a Set-Cookie).
    malformed = f"csrftoken=abc; sessionid={cookie}"
    _, headers, _ = assert_falls_through(url(upload), "", HTTP_COOKIE=malformed)
    assert "Set-Cookie" in dict(headers)
    # Under another cookie name the same header carries no session.
    settings.SESSION_COOKIE_NAME = "portal_session"
    assert assert_falls_through(url(upload), "", HTTP_COOKIE=others)[0] == "302 Found"


def test_a_file_renamed_after_a_click_is_sent_under_its_new_name(
    alice: User, upload: UploadedFile
) -> None:
    cookie = session_of(alice)
    assert_same_permitted(url(upload), cookie)
    UploadedFile.objects.filter(pk=upload.pk).update(name="Renamed.pdf")
    _, headers, _ = assert_same_permitted(url(upload), cookie)
    assert 'filename="Renamed.pdf"' in dict(headers)["Content-Disposition"]


def test_the_remembered_file_stays_as_the_database_has_it(
    alice: User, bob: User, upload: UploadedFile
) -> None:
    grants.share(upload, bob)
    for cookie in [session_of(alice), session_of(bob)] * 2:
        assert_same_permitted(url(upload), cookie)
    compiled = access.compiled_readable(staff=False)
    with closing(connection.connection.cursor()) as cursor:
        row = tuple(fastpath.run(cursor, *compiled.statement(bob.pk, upload.pk)).fetchone())
    remembered = fastpath.readable_file(compiled, row)
    assert fastpath.readable_file.cache_info().hits >= 3  # the one instance the clicks shared
    fresh = UploadedFile.objects.get(pk=upload.pk)
    fields = [field.attname for field in UploadedFile._meta.concrete_fields]
    assert [getattr(remembered, name) for name in fields] == [
        getattr(fresh, name) for name in fields
    ]
    assert remembered._state.fields_cache == {}  # no related row attached by a click


def test_a_database_error_is_left_to_django(
    alice: User, upload: UploadedFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A connection the database dropped since the last click (a restart, an idle
    # timeout): the fast path's statement fails, and Django answers the click as
    # it would have alone (it checks the connection again first), with its row.
    cookie = session_of(alice)
    django = call(WSGIHandler(), environ(url(upload), cookie))
    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "errors_occurred", False)  # restored after
    failed: list[str] = []
    run = fastpath.run

    def dropped(cursor: Any, sql: str, params: list[object]) -> Any:
        if not failed:
            failed.append(sql)
            raise connection.Database.OperationalError("server closed the connection unexpectedly")
        return run(cursor, sql, params)

    monkeypatch.setattr(fastpath, "run", dropped)
    spy = Spy()
    fast = FastPath(spy)
    before = DownloadEvent.objects.count()

    answer = call(fast, environ(url(upload), cookie))

    assert failed and (fast.answered, spy.calls) == (0, 1)
    assert answer == django
    assert DownloadEvent.objects.count() == before + 1


def test_a_click_spends_no_round_trip_on_a_health_check(
    alice: User, upload: UploadedFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Django checks a reused connection with a SELECT 1 before its first query of
    # a request; the fast path relies on falling through instead (above).
    cookie = session_of(alice)
    db = connections[DEFAULT_DB_ALIAS]
    checked: list[bool] = []
    monkeypatch.setattr(db, "health_check_enabled", True)
    monkeypatch.setattr(db, "health_check_done", False)

    def is_usable() -> bool:
        checked.append(True)
        return True

    monkeypatch.setattr(db, "is_usable", is_usable)
    fast = FastPath(Spy())

    call(fast, environ(url(upload), cookie))

    assert (fast.answered, checked) == (1, [])
    # Django's own first query of a request would have checked (what is skipped).
    DownloadEvent.objects.count()
    assert checked == [True]


def prepared_statements() -> list[str]:
    """The statements this connection prepared through the protocol (psycopg), not with PREPARE."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT statement FROM pg_prepared_statements WHERE NOT from_sql")
        return [statement for (statement,) in cursor.fetchall()]


def test_with_a_prepare_threshold_the_clicks_statements_are_prepared(
    alice: User, bob: User, upload: UploadedFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Django's psycopg cursors bind on the client and never prepare: PostgreSQL
    # plans the access statement again on each click. With
    # DATABASE_PREPARE_THRESHOLD=N, psycopg prepares it after N runs, and the
    # answers stay Django's.
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's: CI's second pass runs this")
    grants.share(upload, bob)  # bob's clicks take the statement's share branch
    cookies = {user: session_of(user) for user in (alice, bob)}
    django = {user: call(WSGIHandler(), environ(url(upload), cookies[user])) for user in cookies}
    fast = FastPath(Spy())
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", None)  # Django's default
    for user in cookies:
        assert call(fast, environ(url(upload), cookies[user])) == django[user]
    assert prepared_statements() == []

    monkeypatch.setattr(connection.connection, "prepare_threshold", 1)
    for _ in range(2):
        for user in cookies:
            assert call(fast, environ(url(upload), cookies[user])) == django[user]

    assert fast.answered == 6
    prepared = prepared_statements()
    assert any('FROM "files_uploadedfile"' in sql and "files_share" in sql for sql in prepared)
    assert any("django_session" in sql for sql in prepared)
    assert any(sql.startswith('INSERT INTO "files_downloadevent"') for sql in prepared)


@pytest.mark.django_db(transaction=True)  # autocommit, as served: a failed statement ends alone
def test_a_prepared_statement_the_server_lost_leaves_the_click_to_django(
    alice: User, upload: UploadedFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Behind a pooler in transaction mode that does not keep prepared statements,
    # the next click may reach a server that never saw them.
    if connection.vendor != "postgresql":
        pytest.skip("prepared statements are PostgreSQL's: CI's second pass runs this")
    cookie = session_of(alice)
    django = call(WSGIHandler(), environ(url(upload), cookie))
    connection.ensure_connection()
    monkeypatch.setattr(connection.connection, "prepare_threshold", 1)
    monkeypatch.setattr(connections[DEFAULT_DB_ALIAS], "errors_occurred", False)  # restored after
    spy = Spy()
    fast = FastPath(spy)
    for _ in range(2):
        assert call(fast, environ(url(upload), cookie)) == django
    assert prepared_statements()
    # Past psycopg, which still counts on them.
    connection.connection.pgconn.exec_(b"DEALLOCATE ALL")
    before = DownloadEvent.objects.count()

    answers = [call(fast, environ(url(upload), cookie)) for _ in range(2)]

    assert answers == [django, django]
    assert DownloadEvent.objects.count() == before + 2
    assert (fast.answered, spy.calls) == (2, 2)  # psycopg does not prepare them again
