"""The WebDAV door (files.dav): statuses for owner, recipient, stranger, read-only token, anonymous.

Requests go through the same WSGI application as gunicorn's (portal.wsgi's
mount), with werkzeug's test client: /dav/ is outside Django's URLconf.
"""

from __future__ import annotations

import base64
import hashlib
import secrets

import pytest
from django.core import signals
from django.core.exceptions import ValidationError
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from werkzeug.test import Client

from accounts import tokens
from files import access
from files.dav.mount import mount
from files.history import trash
from files.models import DavLock, DavProperty, Folder, ScanStatus, Share, UploadedFile
from files.uploads import intake

PROPFIND_QUOTA = b"""<?xml version="1.0"?><D:propfind xmlns:D="DAV:"><D:prop>
<D:quota-used-bytes/><D:quota-available-bytes/></D:prop></D:propfind>"""


class Dav:
    """A WebDAV client signed in with a token (or anything else as the password)."""

    def __init__(self, username: str, password: str | None) -> None:
        self.client = Client(mount(get_wsgi_application()))
        self.headers = {}
        if password is not None:
            pair = base64.b64encode(f"{username}:{password}".encode()).decode()
            self.headers["Authorization"] = f"Basic {pair}"

    def __call__(self, method: str, path: str, data: bytes = b"", **headers: str):
        # As Django's test client: the test's transaction must outlive the request.
        signals.request_finished.disconnect(close_old_connections)
        signals.request_started.disconnect(close_old_connections)
        try:
            response = self.client.open(
                path,
                method=method,
                data=data,
                headers={**self.headers, **headers},
                # As gunicorn sets it: sign-in throttling counts per address.
                environ_base={"REMOTE_ADDR": "127.0.0.1"},
            )
            response.get_data()
            return response
        finally:
            signals.request_started.connect(close_old_connections)
            signals.request_finished.connect(close_old_connections)


def dav_for(user, **options) -> Dav:
    _, raw = tokens.create_token(user, f"dav {secrets.token_hex(4)}", **options)
    return Dav(user.get_username(), raw)


@pytest.fixture
def alice_dav(alice) -> Dav:
    return dav_for(alice)


@pytest.fixture
def bob_dav(bob) -> Dav:
    return dav_for(bob)


def test_it_refuses_a_request_without_credentials(alice):
    response = Dav("alice", None)("PROPFIND", "/dav/", Depth="0")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"].startswith("Basic realm=")


def test_it_refuses_the_account_password(alice):
    response = Dav("alice", "password")("PROPFIND", "/dav/", Depth="0")
    assert response.status_code == 401


def test_it_lists_the_top_level_with_hrefs_under_dav(alice_dav, alice, make_file, make_folder):
    make_folder(alice, "Projects")
    make_file(alice, "notes.txt")
    response = alice_dav("PROPFIND", "/dav/", Depth="1")
    assert response.status_code == 207
    body = response.get_data(as_text=True)
    assert "<d:href>/dav/Projects/</d:href>" in body.replace("D:", "d:") or "/dav/Projects/" in body
    assert "/dav/notes.txt" in body
    assert "/dav/Shared%20with%20me/" in body


def test_it_puts_a_file_through_the_intake(alice_dav, alice):
    response = alice_dav("PUT", "/dav/new.txt", b"hello", **{"X-OC-Mtime": "1000000000"})
    assert response.status_code == 201, response.get_data(as_text=True)
    assert response.headers["X-OC-MTime"] == "accepted"
    stored = UploadedFile.objects.get(owner=alice, name="new.txt")
    assert stored.size == 5
    assert stored.sha1 == hashlib.sha1(b"hello", usedforsecurity=False).hexdigest()
    assert stored.modified.timestamp() == 1000000000


def test_it_answers_a_get_with_the_delivery_response(alice_dav, alice, make_file):
    make_file(alice, "notes.txt", b"hello world")
    response = alice_dav("GET", "/dav/notes.txt")
    assert response.status_code == 200
    assert response.get_data() == b"hello world"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    ranged = alice_dav("GET", "/dav/notes.txt", Range="bytes=0-4")
    assert ranged.status_code == 206
    assert ranged.get_data() == b"hello"


def test_it_replaces_a_file_on_a_second_put(alice_dav, alice, make_file):
    stored = make_file(alice, "notes.txt", b"old")
    response = alice_dav("PUT", "/dav/notes.txt", b"new bytes")
    assert response.status_code == 204
    stored.refresh_from_db()
    assert stored.size == 9


def test_it_refuses_a_put_whose_checksum_differs(alice_dav, alice):
    response = alice_dav("PUT", "/dav/x.txt", b"hello", **{"OC-Checksum": "SHA1:" + "0" * 40})
    assert response.status_code == 400
    assert not UploadedFile.objects.filter(owner=alice).exists()


def test_it_answers_507_over_quota(alice_dav, alice):
    alice.quota = 3
    alice.save()
    response = alice_dav("PUT", "/dav/x.txt", b"hello")
    assert response.status_code == 507
    assert not UploadedFile.objects.filter(owner=alice).exists()


def test_a_put_closes_its_temporary_file_stored_or_refused(
    alice_dav, alice, make_file, incoming_uploads, monkeypatch, settings, tmp_path
):
    """end_write closes what begin_write opened, whether the intake stored the bytes or not."""
    temp_dir = tmp_path / "incoming"
    temp_dir.mkdir()
    settings.FILE_UPLOAD_TEMP_DIR = str(temp_dir)
    make_file(alice, "old.txt", b"old")
    assert alice_dav("PUT", "/dav/new.txt", b"hello").status_code == 201
    assert alice_dav("PUT", "/dav/old.txt", b"new bytes").status_code == 204
    mismatch = {"OC-Checksum": "SHA1:" + "0" * 40}
    assert alice_dav("PUT", "/dav/x.txt", b"hello", **mismatch).status_code == 400
    # The quota filled up between the early check and the one under the owner lock.
    check_quota = intake.check_quota

    def full_under_the_lock(owner, incoming_bytes, *, make_room=True):
        if make_room:
            raise ValidationError("Not enough space.", code="over_quota")
        check_quota(owner, incoming_bytes, make_room=False)

    monkeypatch.setattr(intake, "check_quota", full_under_the_lock)
    assert alice_dav("PUT", "/dav/y.txt", b"hello").status_code == 507
    assert len(incoming_uploads) == 4
    assert [incoming.name for incoming in incoming_uploads if not incoming.closed] == []
    assert list(temp_dir.iterdir()) == []  # stored ones moved, refused ones removed
    names = UploadedFile.objects.filter(owner=alice).values_list("name", flat=True)
    assert sorted(names) == ["new.txt", "old.txt"]


def test_it_reports_the_quota(alice_dav, alice, make_file):
    alice.quota = 1000
    alice.save()
    make_file(alice, "notes.txt", b"hello world")
    response = alice_dav("PROPFIND", "/dav/", PROPFIND_QUOTA, Depth="0")
    body = response.get_data(as_text=True)
    assert ">11<" in body
    assert ">989<" in body


def test_a_read_only_token_may_read_but_not_write(alice, make_file):
    make_file(alice, "notes.txt")
    dav = dav_for(alice, read_only=True)
    assert dav("PROPFIND", "/dav/", Depth="1").status_code == 207
    assert dav("PUT", "/dav/x.txt", b"x").status_code == 403
    assert dav("DELETE", "/dav/notes.txt").status_code == 403


def test_a_stranger_sees_nothing_of_alices(alice, charlie, make_file):
    make_file(alice, "notes.txt")
    dav = dav_for(charlie)
    assert dav("GET", "/dav/notes.txt").status_code == 404
    assert "notes.txt" not in dav("PROPFIND", "/dav/", Depth="1").get_data(as_text=True)


def test_a_read_only_share_refuses_writes(alice, bob, bob_dav, make_file, make_folder):
    folder = make_folder(alice, "Photos")
    make_file(alice, "a.txt", b"abc", folder=folder)
    Share.objects.create(folder=folder, recipient=bob, role="viewer")
    assert bob_dav("GET", "/dav/Shared%20with%20me/Photos/a.txt").get_data() == b"abc"
    assert bob_dav("PUT", "/dav/Shared%20with%20me/Photos/b.txt", b"x").status_code == 403
    assert bob_dav("PUT", "/dav/Shared%20with%20me/Photos/a.txt", b"x").status_code == 403
    assert bob_dav("DELETE", "/dav/Shared%20with%20me/Photos/a.txt").status_code == 403


def test_an_editable_share_takes_new_files_for_its_owner(alice, bob, bob_dav, make_folder):
    folder = make_folder(alice, "Team")
    Share.objects.create(folder=folder, recipient=bob, role="editor")
    response = bob_dav("PUT", "/dav/Shared%20with%20me/Team/b.txt", b"x")
    assert response.status_code == 201
    assert UploadedFile.objects.get(name="b.txt").owner == alice


def test_it_creates_moves_and_refuses_a_move_into_a_descendant(alice_dav, alice):
    assert alice_dav("MKCOL", "/dav/A").status_code == 201
    assert alice_dav("MKCOL", "/dav/A/B").status_code == 201
    assert alice_dav("MKCOL", "/dav/A").status_code == 405
    into_child = alice_dav("MOVE", "/dav/A/", Destination="http://localhost/dav/A/B/A/")
    assert into_child.status_code in (403, 409)
    assert alice_dav("PUT", "/dav/A/f.txt", b"x").status_code == 201
    moved = alice_dav("MOVE", "/dav/A/f.txt", Destination="http://localhost/dav/A/B/g.txt")
    assert moved.status_code == 201
    assert UploadedFile.objects.get(owner=alice).name == "g.txt"


def test_it_refuses_names_portal_refuses(alice_dav):
    assert alice_dav("PUT", "/dav/a%01b.txt", b"x").status_code == 400
    assert alice_dav("MKCOL", "/dav/Shared%20with%20me/x").status_code == 403


def test_it_keeps_dead_properties_and_locks_in_the_database(alice_dav, alice):
    alice_dav("PUT", "/dav/f.txt", b"x")
    patch = b"""<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">
    <D:set><D:prop><Z:colour>blue</Z:colour></D:prop></D:set></D:propertyupdate>"""
    assert alice_dav("PROPPATCH", "/dav/f.txt", patch).status_code == 207
    assert DavProperty.objects.filter(name="{urn:z}colour").exists()
    lock = b"""<?xml version="1.0"?><D:lockinfo xmlns:D="DAV:"><D:lockscope><D:exclusive/>
    </D:lockscope><D:locktype><D:write/></D:locktype></D:lockinfo>"""
    assert alice_dav("LOCK", "/dav/f.txt", lock).status_code == 200
    assert DavLock.objects.count() == 1


# The WebDAV permission table: alice's Shared/ holds photo.txt and Sub/; bob views it,
# erin edits it, charlie is a stranger. Each actor asks at the path they see
# it under (alice at /dav/Shared/, the others under "Shared with me").
ACTORS = ("owner", "viewer", "editor", "stranger", "read_only", "password", "anonymous")
TABLE = {
    # method, item: statuses in ACTORS order
    ("PROPFIND", "folder"): (207, 207, 207, 404, 207, 401, 401),
    ("GET", "file"): (200, 200, 200, 404, 200, 401, 401),
    ("HEAD", "file"): (200, 200, 200, 404, 200, 401, 401),
    ("PUT", "file"): (204, 403, 204, 409, 403, 401, 401),
    ("PUT", "new"): (201, 403, 201, 409, 403, 401, 401),
    ("MKCOL", "new"): (201, 403, 201, 409, 403, 401, 401),
    ("PROPPATCH", "file"): (207, 207, 207, 404, 403, 401, 401),
    # An editor deletes inside the share (into alice's trash), never the shared folder itself.
    ("DELETE", "file"): (204, 403, 204, 404, 403, 401, 401),
    ("DELETE", "sub"): (204, 403, 204, 404, 403, 401, 401),
    ("DELETE", "folder"): (204, 403, 403, 404, 403, 401, 401),
}


@pytest.fixture
def shared_world(alice, bob, charlie, make_file, make_folder):
    erin = type(alice).objects.create_user("erin", "erin@example.org", "password")
    folder = make_folder(alice, "Shared")
    make_file(alice, "photo.txt", b"bytes", folder=folder)
    make_folder(alice, "Sub", parent=folder)
    Share.objects.create(folder=folder, recipient=bob, role="viewer")
    Share.objects.create(folder=folder, recipient=erin, role="editor")
    return {"owner": alice, "viewer": bob, "editor": erin, "stranger": charlie}


def _client_for(actor: str, world) -> tuple[Dav, str]:
    """The client of `actor` and the path at which the shared folder lies for them."""
    if actor == "anonymous":
        return Dav("alice", None), "/dav/Shared"
    if actor == "password":
        return Dav("alice", "password"), "/dav/Shared"
    if actor == "read_only":
        return dav_for(world["owner"], read_only=True), "/dav/Shared"
    user = world[actor]
    base = "/dav/Shared" if actor in ("owner", "stranger") else "/dav/Shared%20with%20me/Shared"
    return dav_for(user), base


PROPPATCH_BODY = b"""<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:" xmlns:Z="urn:z">
<D:set><D:prop><Z:tag>x</Z:tag></D:prop></D:set></D:propertyupdate>"""


@pytest.mark.parametrize(("method", "item"), list(TABLE))
def test_dav_permission_table(shared_world, method, item):
    alice = shared_world["owner"]
    got = {}
    # The owner last when deleting: everyone else tries first.
    for actor in reversed(ACTORS) if method == "DELETE" else ACTORS:
        dav, base = _client_for(actor, shared_world)
        path = {
            "folder": base + "/",
            "sub": base + "/Sub/",
            "file": base + "/photo.txt",
            "new": base + "/new",
        }[item]
        body = {"PUT": b"new bytes", "PROPPATCH": PROPPATCH_BODY}.get(method, b"")
        depth = "infinity" if method == "DELETE" else "0"
        got[actor] = dav(method, path, body, Depth=depth).status_code
        # Undo what a permitted change did, so each actor meets the same world.
        if got[actor] in (201, 204) and item == "new":
            UploadedFile.objects.filter(name="new").delete()
            Folder.objects.filter(name="new").delete()
        if got[actor] == 204 and method == "DELETE":
            for trashed in [*access.trashed_files(alice), *access.trashed_folders(alice)]:
                trash.restore(trashed)
    assert got == dict(zip(ACTORS, TABLE[(method, item)], strict=True))


def test_control_characters_never_reach_the_propfind_xml(alice_dav, alice, make_file):
    stored = make_file(alice, "bell.txt")
    # Not through the intake, which refuses it: as the admin or a script could.
    UploadedFile.objects.filter(pk=stored.pk).update(name="be\x07ll\x1b.txt")
    response = alice_dav("PROPFIND", "/dav/", Depth="1")
    body = response.get_data()
    assert response.status_code == 207
    assert not any(byte < 0x20 and byte not in b"\t\n\r" for byte in body)
    assert b"bell.txt" in body


def test_proppatch_of_lastmodified_sets_the_modification_time(alice_dav, alice, make_file):
    stored = make_file(alice, "notes.txt")
    patch = b"""<?xml version="1.0"?><D:propertyupdate xmlns:D="DAV:"><D:set><D:prop>
    <lastmodified xmlns="DAV:">1000000000</lastmodified></D:prop></D:set></D:propertyupdate>"""
    response = alice_dav("PROPPATCH", "/dav/notes.txt", patch)
    assert response.status_code == 207
    assert "200 OK" in response.get_data(as_text=True)
    stored.refresh_from_db()
    assert stored.modified.timestamp() == 1000000000
    listed = alice_dav("PROPFIND", "/dav/notes.txt", Depth="0").get_data(as_text=True)
    assert "Sun, 09 Sep 2001 01:46:40 GMT" in listed


def test_it_offers_the_sha1_as_oc_checksums(alice_dav, alice, make_file):
    make_file(alice, "notes.txt", b"hello world")
    body = b"""<?xml version="1.0"?><D:propfind xmlns:D="DAV:" xmlns:oc="http://owncloud.org/ns">
    <D:prop><oc:checksums/></D:prop></D:propfind>"""
    listed = alice_dav("PROPFIND", "/dav/notes.txt", body, Depth="0").get_data(as_text=True)
    sha1 = hashlib.sha1(b"hello world", usedforsecurity=False).hexdigest()
    assert f"SHA1:{sha1}" in listed


def test_a_head_is_the_download_without_a_body(alice_dav, alice, make_file):
    make_file(alice, "notes.txt", b"hello world")
    response = alice_dav("HEAD", "/dav/notes.txt")
    assert response.status_code == 200
    assert response.get_data() == b""
    assert response.headers["Content-Length"] == "11"


def test_wrong_tokens_lock_the_client_out_like_wrong_passwords(alice, settings):
    wrong = Dav("alice", "ptk_" + "x" * 43)
    limit = settings.AXES_FAILURE_LIMIT
    statuses = [wrong("PROPFIND", "/dav/", Depth="0").status_code for _ in range(limit + 1)]
    assert statuses[: limit - 1] == [401] * (limit - 1)
    assert statuses[-1] == 429
    # Even the right token is refused while the lockout lasts.
    assert dav_for(alice)("PROPFIND", "/dav/", Depth="0").status_code == 429


@pytest.mark.parametrize(
    ("method", "path", "headers"),
    [
        ("GET", "/dav/", {}),
        ("GET", "/dav/Shared%20with%20me/", {}),
        ("PUT", "/dav/Shared%20with%20me", {}),
        ("DELETE", "/dav/", {}),
        ("DELETE", "/dav/Shared%20with%20me/", {}),
        ("MOVE", "/dav/Shared%20with%20me/", {"Destination": "/dav/elsewhere/"}),
        ("COPY", "/dav/notes.txt", {"Destination": "/dav/Shared%20with%20me/notes.txt"}),
        ("COPY", "/dav/notes.txt", {"Destination": "/dav/nowhere/notes.txt"}),
        ("MKCOL", "/dav/a%00b", {}),
        ("PUT", "/dav/%2e%2e/escape.txt", {}),
        ("PROPFIND", "/dav/notes.txt", {"Depth": "infinity"}),
        ("LOCK", "/dav/Shared%20with%20me/x.txt", {}),
        ("PATCH", "/dav/notes.txt", {}),
    ],
)
def test_awkward_requests_get_a_status_not_a_server_error(
    alice_dav, alice, make_file, method, path, headers
):
    make_file(alice, "notes.txt")
    response = alice_dav(method, path, b"x" if method == "PUT" else b"", **headers)
    assert response.status_code < 500, response.get_data(as_text=True)[:500]


def test_a_move_to_another_server_is_a_bad_gateway(alice_dav, alice, make_file):
    make_file(alice, "notes.txt")
    # RFC 4918 9.9.4: 502 when the destination is on another server.
    response = alice_dav("MOVE", "/dav/notes.txt", Destination="http://elsewhere.example/dav/x")
    assert response.status_code == 502


def test_the_modification_time_a_client_sets_shows_on_the_file_page(alice_dav, alice, alice_client):
    alice_dav("PUT", "/dav/old.txt", b"x", **{"X-OC-Mtime": "1000000000"})
    stored = UploadedFile.objects.get(owner=alice, name="old.txt")
    page = alice_client.get(stored.get_absolute_url()).content.decode()
    assert "Modified" in page
    assert "2001-09-09" in page


def test_a_file_the_scanner_withholds_is_not_sent(
    alice, bob, alice_dav, bob_dav, make_file, make_folder
):
    folder = make_folder(alice, "Photos")
    stored = make_file(alice, "a.txt", b"abc", folder=folder)
    Share.objects.create(folder=folder, recipient=bob, role="viewer")
    UploadedFile.objects.filter(pk=stored.pk).update(scan_status=ScanStatus.PENDING)
    response = bob_dav("GET", "/dav/Shared%20with%20me/Photos/a.txt")
    assert response.status_code == 409
    assert b"abc" not in response.get_data()
    assert alice_dav("GET", "/dav/Photos/a.txt").get_data() == b"abc"
    UploadedFile.objects.filter(pk=stored.pk).update(scan_status=ScanStatus.INFECTED)
    assert alice_dav("GET", "/dav/Photos/a.txt").status_code == 403


def test_a_delete_goes_to_the_trash(alice, alice_dav, make_file, make_folder):
    make_file(alice, "notes.txt", b"hello")
    make_folder(alice, "Docs")
    assert alice_dav("DELETE", "/dav/notes.txt").status_code == 204
    assert alice_dav("DELETE", "/dav/Docs").status_code == 204
    assert UploadedFile.objects.get(name="notes.txt").trashed_at is not None
    assert Folder.objects.get(name="Docs").trashed_at is not None
    assert alice_dav("GET", "/dav/notes.txt").status_code == 404


def test_an_editor_deletes_inside_a_share_into_the_owners_trash(
    alice, bob, bob_dav, make_file, make_folder
):
    shared = make_folder(alice, "Team")
    inner = make_folder(alice, "Inner", parent=shared)
    stored = make_file(alice, "a.txt", b"abc", folder=shared)
    Share.objects.create(folder=shared, recipient=bob, role="editor")
    base = "/dav/Shared%20with%20me/Team"
    assert bob_dav("DELETE", base + "/a.txt").status_code == 204
    assert bob_dav("DELETE", base + "/Inner/", Depth="infinity").status_code == 204
    assert bob_dav("DELETE", base + "/", Depth="infinity").status_code == 403
    assert [f.pk for f in access.trashed_files(alice)] == [stored.pk]
    assert [f.pk for f in access.trashed_folders(alice)] == [inner.pk]
    assert bob_dav("GET", base + "/a.txt").status_code == 404
    # The owner restores it: back in the share, for the editor too.
    trash.restore(UploadedFile.objects.get(pk=stored.pk))
    assert bob_dav("GET", base + "/a.txt").get_data() == b"abc"
