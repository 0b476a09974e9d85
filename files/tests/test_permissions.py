"""Who gets what: every view against every kind of visitor, as two tables.

Rows are actors, columns are views, each cell the status that actor gets.
`test_every_view_has_a_column` walks the URL configuration, so a new view in
`files:` or `links:` fails the suite until someone writes down who may use
it; test_api_permissions.py is the same table for `api:`.

WebDAV (/dav/) is mounted beside Django's URLconf (portal/wsgi.py), so it has
no row here: its table of methods against the same actors (and a read-only
token) is `test_dav_permission_table` in files/tests/test_dav.py.
"""

from __future__ import annotations

import uuid
from base64 import b64encode
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http.response import HttpResponseBase
from django.test import Client
from django.urls import get_resolver
from django.utils import timezone

from accounts.models import User
from files import contract
from files.history import trash
from files.models import FileVersion, Folder, Link, ScanStatus, Share, UploadedFile
from files.previews import thumbnails
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.utils import image_bytes
from files.uploads import resumable


@dataclass
class World:
    """alice's Shared/ (with Sub/ and photo.png in it): bob views, erin edits, rita was revoked."""

    shared: Folder
    sub: Folder
    photo: UploadedFile
    share: Share
    link: Link
    users: dict[str, User]
    trashed_file: UploadedFile
    trashed_folder: Folder
    version: FileVersion
    # The same bytes as `version`, still being checked and found infected (files.access.withheld).
    pending_version: FileVersion
    infected_version: FileVersion
    # A version of the trashed file; a file erin (an editor) deleted into alice's trash.
    trashed_version: FileVersion
    editors_delete: UploadedFile


@pytest.fixture
def world(alice: User, bob: User, charlie: User, staff: User, make_folder: MakeFolder,
          make_file: MakeFile) -> World:  # fmt: skip
    erin = User.objects.create_user("erin", "erin@example.org", "password")
    rita = User.objects.create_user("rita", "rita@example.org", "password")
    shared = make_folder(alice, "Shared")
    sub = make_folder(alice, "Sub", parent=shared)
    photo = make_file(alice, "photo.png", image_bytes(), folder=shared)
    assert thumbnails.generate(photo)  # as the worker does after the upload commits
    share = grants.share(shared, bob)
    grants.share(shared, erin, Share.Role.EDITOR)
    grants.share(shared, rita).delete()
    link, _ = grants.create_link(shared)
    trashed_file = trash.trash_file(make_file(alice, "old.txt", b"old", folder=shared), by=alice)
    trashed_folder = trash.trash_folder(make_folder(alice, "Old", parent=shared), by=alice)

    def make_version(file: UploadedFile, status: str = ScanStatus.NOT_SCANNED) -> FileVersion:
        key = default_storage.save(contract.storage_key(alice.pk, uuid.uuid4()), ContentFile(b"v1"))
        return FileVersion.objects.create(
            file=file, owner=alice, stored=key, size=2, content_type="image/png",
            sha256="0" * 64, modified=timezone.now(), scan_status=status,
        )  # fmt: skip

    users = {"owner": alice, "viewer": bob, "editor": erin, "revoked": rita,
             "stranger": charlie, "staff": staff}  # fmt: skip
    return World(
        shared, sub, photo, share, link, users, trashed_file, trashed_folder,
        version=make_version(photo),
        pending_version=make_version(photo, ScanStatus.PENDING),
        infected_version=make_version(photo, ScanStatus.INFECTED),
        trashed_version=make_version(trashed_file),
        editors_delete=trash.trash_file(make_file(alice, "theirs.txt", folder=shared), by=erin),
    )  # fmt: skip


@dataclass(frozen=True)
class Call:
    """One request: the method, a path built from the world, and a POST body."""

    method: str
    path: Callable[[World], str]
    data: Callable[[World], dict[str, object]] = lambda world: {}
    headers: Callable[[World], dict[str, str]] | None = None  # sent with an empty body
    # What a 200 must show (the versions on the file page), beside its status.
    shows: Callable[[World], str] | None = None


def upload_body(world: World) -> dict[str, object]:
    return {"file": SimpleUploadedFile("new.txt", b"new")}


def tus_creation(world: World) -> dict[str, str]:
    """A tus creation of 3 bytes named new.txt into alice's Shared/."""
    folder = b64encode(str(world.shared.pk).encode()).decode()
    metadata = f"filename {b64encode(b'new.txt').decode()},folder {folder}"
    return {"Tus-Resumable": "1.0.0", "Upload-Length": "3", "Upload-Metadata": metadata}


def tus_drop_creation(world: World) -> dict[str, str]:
    """A tus creation of 3 bytes named new.txt through a link."""
    metadata = f"filename {b64encode(b'new.txt').decode()}"
    return {"Tus-Resumable": "1.0.0", "Upload-Length": "3", "Upload-Metadata": metadata}


def another_visitors_tus_upload(token: str, world: World) -> str:
    """The URL, under `token`, of an unfinished upload another link session began."""
    upload = resumable.create(
        None,
        world.shared,
        "big.bin",
        10,
        link=grants.find_link(token),
        visitor=grants.token_hash("another session's secret"),
    )
    return f"/s/{token}/tus/{upload.pk}/"


def alices_tus_upload(world: World) -> str:
    """The URL of an unfinished upload alice began."""
    upload = resumable.create(world.users["owner"], None, "big.bin", 10)
    return f"/files/tus/{upload.pk}/"


# Column: (URL name, what is tried). Several columns may try one URL name.
SIGNED_IN_VIEWS: dict[str, tuple[str, Call]] = {
    "list": ("files:list", Call("GET", lambda w: "/files/")),
    "shared": ("files:shared", Call("GET", lambda w: "/files/shared/")),
    "upload page": ("files:upload", Call("GET", lambda w: "/files/upload/")),
    "move files": (
        "files:move",
        Call("POST", lambda w: "/files/move/", lambda w: {"selected": w.photo.pk, "target": ""}),
    ),
    "move picked folder": (
        "files:move",
        Call(
            "POST",
            lambda w: "/files/move/",
            lambda w: {"selected_folders": w.sub.pk, "target": str(w.shared.pk)},
        ),
    ),
    "file page": ("files:detail", Call("GET", lambda w: f"/files/{w.photo.pk}/")),
    "rename file": (
        "files:detail",
        Call("POST", lambda w: f"/files/{w.photo.pk}/", lambda w: {"name": "renamed.png"}),
    ),
    "delete file": ("files:delete", Call("POST", lambda w: f"/files/{w.photo.pk}/delete/")),
    "download": ("files:download", Call("GET", lambda w: f"/files/{w.photo.pk}/download/")),
    "preview": ("files:preview", Call("GET", lambda w: f"/files/{w.photo.pk}/preview/")),
    "thumbnail": ("files:thumbnail", Call("GET", lambda w: f"/files/{w.photo.pk}/thumbnail/")),
    "file sharing": ("files:file-sharing", Call("GET", lambda w: f"/files/{w.photo.pk}/sharing/")),
    "share file": (
        "files:file-share",
        Call(
            "POST",
            lambda w: f"/files/{w.photo.pk}/sharing/share/",
            lambda w: {"recipient": "charlie", "role": "viewer"},
        ),
    ),
    "link file": (
        "files:file-link",
        Call(
            "POST", lambda w: f"/files/{w.photo.pk}/sharing/link/", lambda w: {"kind": "download"}
        ),
    ),
    "zip everything": ("files:zip-all", Call("GET", lambda w: "/files/download/")),
    "zip selection": (
        "files:zip-all",
        Call(
            "GET", lambda w: f"/files/download/?selected={w.photo.pk}&selected_folders={w.sub.pk}"
        ),
    ),
    "zip folder": (
        "files:folder-zip",
        Call("GET", lambda w: f"/files/folders/{w.shared.pk}/download/"),
    ),
    "zip subfolder": (
        "files:folder-zip",
        Call("GET", lambda w: f"/files/folders/{w.sub.pk}/download/"),
    ),
    "folder page": ("files:folder", Call("GET", lambda w: f"/files/folders/{w.shared.pk}/")),
    "new top folder": (
        "files:folder-create",
        Call("POST", lambda w: "/files/folders/new/", lambda w: {"name": "Mine"}),
    ),
    "new subfolder": (
        "files:subfolder-create",
        Call("POST", lambda w: f"/files/folders/{w.shared.pk}/new/", lambda w: {"name": "New"}),
    ),
    "upload into": (
        "files:folder-upload",
        Call("POST", lambda w: f"/files/folders/{w.shared.pk}/upload/", upload_body),
    ),
    "rename shared root": (
        "files:folder-rename",
        Call("POST", lambda w: f"/files/folders/{w.shared.pk}/rename/", lambda w: {"name": "X"}),
    ),
    "rename inside": (
        "files:folder-rename",
        Call("POST", lambda w: f"/files/folders/{w.sub.pk}/rename/", lambda w: {"name": "Y"}),
    ),
    "move folder": ("files:folder-move", Call("GET", lambda w: f"/files/folders/{w.sub.pk}/move/")),
    "move inside": (
        "files:folder-move",
        Call(
            "POST",
            lambda w: f"/files/folders/{w.sub.pk}/move/",
            lambda w: {"target": str(w.shared.pk)},
        ),
    ),
    "move shared root": (
        "files:folder-move",
        Call("POST", lambda w: f"/files/folders/{w.shared.pk}/move/", lambda w: {"target": ""}),
    ),
    "delete folder": (
        "files:folder-delete",
        Call("POST", lambda w: f"/files/folders/{w.sub.pk}/delete/"),
    ),
    "delete shared root": (
        "files:folder-delete",
        Call("POST", lambda w: f"/files/folders/{w.shared.pk}/delete/"),
    ),
    "trash": ("files:trash", Call("GET", lambda w: "/files/trash/")),
    "empty trash": ("files:trash-empty", Call("POST", lambda w: "/files/trash/empty/")),
    "empty trash by GET": ("files:trash-empty", Call("GET", lambda w: "/files/trash/empty/")),
    "trashed file page": ("files:detail", Call("GET", lambda w: f"/files/{w.trashed_file.pk}/")),
    "trashed download": (
        "files:download",
        Call("GET", lambda w: f"/files/{w.trashed_file.pk}/download/"),
    ),
    "trashed folder page": (
        "files:folder",
        Call("GET", lambda w: f"/files/folders/{w.trashed_folder.pk}/"),
    ),
    "zip trashed folder": (
        "files:folder-zip",
        Call("GET", lambda w: f"/files/folders/{w.trashed_folder.pk}/download/"),
    ),
    "restore file": (
        "files:file-restore",
        Call("POST", lambda w: f"/files/{w.trashed_file.pk}/restore/"),
    ),
    "restore folder": (
        "files:folder-restore",
        Call("POST", lambda w: f"/files/folders/{w.trashed_folder.pk}/restore/"),
    ),
    "restore editor's delete": (
        "files:file-restore",
        Call("POST", lambda w: f"/files/{w.editors_delete.pk}/restore/"),
    ),
    "restore live file": (
        "files:file-restore",
        Call("POST", lambda w: f"/files/{w.photo.pk}/restore/"),
    ),
    "restore live folder": (
        "files:folder-restore",
        Call("POST", lambda w: f"/files/folders/{w.sub.pk}/restore/"),
    ),
    "purge file": (
        "files:file-purge",
        Call("POST", lambda w: f"/files/{w.trashed_file.pk}/purge/"),
    ),
    "purge folder": (
        "files:folder-purge",
        Call("POST", lambda w: f"/files/folders/{w.trashed_folder.pk}/purge/"),
    ),
    "purge editor's delete": (
        "files:file-purge",
        Call("POST", lambda w: f"/files/{w.editors_delete.pk}/purge/"),
    ),
    "purge live file": ("files:file-purge", Call("POST", lambda w: f"/files/{w.photo.pk}/purge/")),
    "purge live folder": (
        "files:folder-purge",
        Call("POST", lambda w: f"/files/folders/{w.sub.pk}/purge/"),
    ),
    "version list": (
        "files:detail",
        Call(
            "GET",
            lambda w: f"/files/{w.photo.pk}/",
            shows=lambda w: f"/files/{w.photo.pk}/versions/{w.version.pk}/download/",
        ),
    ),
    "version download": (
        "files:version-download",
        Call("GET", lambda w: f"/files/{w.photo.pk}/versions/{w.version.pk}/download/"),
    ),
    "pending version": (
        "files:version-download",
        Call("GET", lambda w: f"/files/{w.photo.pk}/versions/{w.pending_version.pk}/download/"),
    ),
    "infected version": (
        "files:version-download",
        Call("GET", lambda w: f"/files/{w.photo.pk}/versions/{w.infected_version.pk}/download/"),
    ),
    "trashed version": (
        "files:version-download",
        Call(
            "GET",
            lambda w: f"/files/{w.trashed_file.pk}/versions/{w.trashed_version.pk}/download/",
        ),
    ),
    "other file's version": (
        "files:version-download",
        Call("GET", lambda w: f"/files/{w.photo.pk}/versions/{w.trashed_version.pk}/download/"),
    ),
    "version restore": (
        "files:version-restore",
        Call("POST", lambda w: f"/files/{w.photo.pk}/versions/{w.version.pk}/restore/"),
    ),
    "trashed version restore": (
        "files:version-restore",
        Call(
            "POST",
            lambda w: f"/files/{w.trashed_file.pk}/versions/{w.trashed_version.pk}/restore/",
        ),
    ),
    "version restore by GET": (
        "files:version-restore",
        Call("GET", lambda w: f"/files/{w.photo.pk}/versions/{w.version.pk}/restore/"),
    ),
    "folder sharing": (
        "files:folder-sharing",
        Call("GET", lambda w: f"/files/folders/{w.shared.pk}/sharing/"),
    ),
    "share folder": (
        "files:folder-share",
        Call(
            "POST",
            lambda w: f"/files/folders/{w.shared.pk}/sharing/share/",
            lambda w: {"recipient": "charlie", "role": "viewer"},
        ),
    ),
    "link folder": (
        "files:folder-link",
        Call(
            "POST",
            lambda w: f"/files/folders/{w.shared.pk}/sharing/link/",
            lambda w: {"kind": "drop"},
        ),
    ),
    "revoke share": (
        "files:share-revoke",
        Call("POST", lambda w: f"/files/shares/{w.share.pk}/revoke/"),
    ),
    "revoke link": (
        "files:link-revoke",
        Call("POST", lambda w: f"/files/links/{w.link.pk}/revoke/"),
    ),
    "ask to revoke share": (
        "files:share-revoke",
        Call("GET", lambda w: f"/files/shares/{w.share.pk}/revoke/"),
    ),
    "ask to revoke link": (
        "files:link-revoke",
        Call("GET", lambda w: f"/files/links/{w.link.pk}/revoke/"),
    ),
    # Resumable uploads: an upload is its creator's alone.
    "tus create into": ("files:tus", Call("POST", lambda w: "/files/tus/", headers=tus_creation)),
    "tus continue": (
        "files:tus-upload",
        Call("HEAD", alices_tus_upload, headers=lambda w: {"Tus-Resumable": "1.0.0"}),
    ),
}

SIGNED_IN_ACTORS = (
    "owner", "viewer", "editor", "revoked", "stranger", "staff", "anonymous", "link",
)  # fmt: skip
# One row per view, one status per actor in SIGNED_IN_ACTORS order. 302 is the
# success redirect, except for anonymous visitors (sent to log in everywhere,
# "link" too: an anonymous visitor who has unlocked a link to Shared/, which
# opens /s/ and nothing here) and "move files", which answers a refusal with
# a redirect and a message too. 409: being checked by the virus scanner
# (Retry-After), 403: quarantined (files.access.withheld).
EXPECTED: dict[str, tuple[int, ...]] = {
    #                      owne view edit revo stra staf anon link
    "list":                (200, 200, 200, 200, 200, 200, 302, 302),
    "shared":              (200, 200, 200, 200, 200, 200, 302, 302),
    "upload page":         (200, 200, 200, 200, 200, 200, 302, 302),
    "move files":          (302, 302, 302, 302, 302, 302, 302, 302),
    "move picked folder":  (302, 302, 302, 302, 302, 302, 302, 302),
    "file page":           (200, 200, 200, 404, 404, 200, 302, 302),
    "rename file":         (302, 404, 302, 404, 404, 404, 302, 302),
    "delete file":         (302, 404, 302, 404, 404, 404, 302, 302),
    "download":            (200, 200, 200, 404, 404, 200, 302, 302),
    "preview":             (200, 200, 200, 404, 404, 200, 302, 302),
    "thumbnail":           (200, 200, 200, 404, 404, 200, 302, 302),
    "file sharing":        (200, 404, 404, 404, 404, 404, 302, 302),
    "share file":          (302, 404, 404, 404, 404, 404, 302, 302),
    "link file":           (302, 404, 404, 404, 404, 404, 302, 302),
    "zip everything":      (200, 200, 200, 200, 200, 200, 302, 302),
    "zip selection":       (200, 200, 200, 404, 404, 200, 302, 302),
    "zip folder":          (200, 200, 200, 404, 404, 200, 302, 302),
    "zip subfolder":       (200, 200, 200, 404, 404, 200, 302, 302),
    "folder page":         (200, 200, 200, 404, 404, 200, 302, 302),
    "new top folder":      (302, 302, 302, 302, 302, 302, 302, 302),
    "new subfolder":       (302, 404, 302, 404, 404, 404, 302, 302),
    "upload into":         (302, 404, 302, 404, 404, 404, 302, 302),
    "rename shared root":  (302, 404, 404, 404, 404, 404, 302, 302),
    "rename inside":       (302, 404, 302, 404, 404, 404, 302, 302),
    "move folder":         (200, 404, 200, 404, 404, 404, 302, 302),
    "move inside":         (302, 404, 302, 404, 404, 404, 302, 302),
    "move shared root":    (302, 404, 404, 404, 404, 404, 302, 302),
    "delete folder":       (302, 404, 302, 404, 404, 404, 302, 302),
    "delete shared root":  (302, 404, 404, 404, 404, 404, 302, 302),
    "trash":               (200, 200, 200, 200, 200, 200, 302, 302),
    "empty trash":         (302, 302, 302, 302, 302, 302, 302, 302),
    "empty trash by GET":  (405, 405, 405, 405, 405, 405, 302, 302),
    "trashed file page":   (404, 404, 404, 404, 404, 404, 302, 302),
    "trashed download":    (404, 404, 404, 404, 404, 404, 302, 302),
    "trashed folder page": (404, 404, 404, 404, 404, 404, 302, 302),
    "zip trashed folder":  (404, 404, 404, 404, 404, 404, 302, 302),
    "restore file":        (302, 404, 404, 404, 404, 404, 302, 302),
    "restore folder":      (302, 404, 404, 404, 404, 404, 302, 302),
    "restore editor's delete": (302, 404, 404, 404, 404, 404, 302, 302),
    "restore live file":   (404, 404, 404, 404, 404, 404, 302, 302),
    "restore live folder": (404, 404, 404, 404, 404, 404, 302, 302),
    "purge file":          (302, 404, 404, 404, 404, 404, 302, 302),
    "purge folder":        (302, 404, 404, 404, 404, 404, 302, 302),
    "purge editor's delete": (302, 404, 404, 404, 404, 404, 302, 302),
    "purge live file":     (404, 404, 404, 404, 404, 404, 302, 302),
    "purge live folder":   (404, 404, 404, 404, 404, 404, 302, 302),
    "version list":        (200, 200, 200, 404, 404, 200, 302, 302),
    "version download":    (200, 200, 200, 404, 404, 200, 302, 302),
    "pending version":     (200, 409, 409, 404, 404, 409, 302, 302),
    "infected version":    (403, 403, 403, 404, 404, 403, 302, 302),
    "trashed version":     (404, 404, 404, 404, 404, 404, 302, 302),
    "other file's version": (404, 404, 404, 404, 404, 404, 302, 302),
    "version restore":     (302, 404, 302, 404, 404, 404, 302, 302),
    "trashed version restore": (404, 404, 404, 404, 404, 404, 302, 302),
    "version restore by GET": (405, 405, 405, 405, 405, 405, 302, 302),
    "folder sharing":      (200, 404, 404, 404, 404, 404, 302, 302),
    "share folder":        (302, 404, 404, 404, 404, 404, 302, 302),
    "link folder":         (302, 404, 404, 404, 404, 404, 302, 302),
    "revoke share":        (302, 404, 404, 404, 404, 404, 302, 302),
    "revoke link":         (302, 404, 404, 404, 404, 404, 302, 302),
    "ask to revoke share": (200, 404, 404, 404, 404, 404, 302, 302),
    "ask to revoke link":  (200, 404, 404, 404, 404, 404, 302, 302),
    "tus create into":     (201, 404, 201, 404, 404, 404, 302, 302),
    "tus continue":        (200, 404, 404, 404, 404, 404, 302, 302),
}  # fmt: skip


def signed_in_cells() -> list[tuple[str, str, int]]:
    assert EXPECTED.keys() == SIGNED_IN_VIEWS.keys()
    return [
        (actor, view, status)
        for view, statuses in EXPECTED.items()
        for actor, status in zip(SIGNED_IN_ACTORS, statuses, strict=True)
    ]


def request(client: Client, call: Call, world: World) -> HttpResponseBase:
    if call.headers is not None:
        return client.generic(call.method, call.path(world), headers=call.headers(world))
    if call.method == "GET":
        return client.get(call.path(world))
    return client.post(call.path(world), call.data(world))


@pytest.mark.parametrize(("actor", "view", "expected"), signed_in_cells())
def test_signed_in_surface(world: World, actor: str, view: str, expected: int) -> None:
    client = Client()
    if actor == "link":
        _, token = grants.create_link(world.shared, password="pw")
        assert client.post(f"/s/{token}/unlock/", {"password": "pw"}).status_code == 302
        assert client.get(f"/s/{token}/").status_code == 200
    elif actor != "anonymous":
        client.force_login(world.users[actor])
    call = SIGNED_IN_VIEWS[view][1]
    response = request(client, call, world)
    assert response.status_code == expected
    if call.shows is not None and expected == 200:
        assert call.shows(world) in response.content.decode()


@dataclass(frozen=True)
class LinkActor:
    """An anonymous visitor holding a link in some state."""

    kind: str = Link.Kind.DOWNLOAD
    password: str = ""
    typed: str | None = None  # the password they unlock with, if any
    change: tuple[tuple[str, object], ...] = ()
    token: str | None = None  # a token never issued
    trashed: bool = False  # its folder is in the owner's trash: the link opens nothing


LINK_ACTORS: dict[str, LinkActor] = {
    "link": LinkActor(),
    "right password": LinkActor(password="pw", typed="pw"),
    "wrong password": LinkActor(password="pw", typed="guess"),
    "expired": LinkActor(change=(("expires", timezone.now() - timedelta(days=1)),)),
    "exhausted": LinkActor(change=(("download_limit", 1), ("downloads", 1))),
    "revoked link": LinkActor(change=(("revoked", timezone.now()),)),
    # Downloads left: it opens, but shows no previews (access.link_shows_previews).
    "limited": LinkActor(change=(("download_limit", 5),)),
    "drop visitor": LinkActor(kind=Link.Kind.DROP),
    "unknown token": LinkActor(token="A" * 43),
    "trashed item": LinkActor(trashed=True),
}

# One row per view, one status per holder in LINK_ACTORS order.
LINK_VIEWS: dict[str, tuple[str, Callable[[str, World], Call]]] = {
    "open": ("links:open", lambda t, w: Call("GET", lambda _: f"/s/{t}/")),
    "unlock": (
        "links:unlock",
        lambda t, w: Call("POST", lambda _: f"/s/{t}/unlock/", lambda _: {"password": "pw"}),
    ),
    "subfolder": ("links:folder", lambda t, w: Call("GET", lambda _: f"/s/{t}/f/{w.sub.pk}/")),
    "download": (
        "links:download",
        lambda t, w: Call("GET", lambda _: f"/s/{t}/download/{w.photo.pk}/"),
    ),
    "file page": ("links:file", lambda t, w: Call("GET", lambda _: f"/s/{t}/file/{w.photo.pk}/")),
    "preview": (
        "links:preview",
        lambda t, w: Call("GET", lambda _: f"/s/{t}/preview/{w.photo.pk}/"),
    ),
    "zip": ("links:zip", lambda t, w: Call("GET", lambda _: f"/s/{t}/zip/")),
    "drop": ("links:drop", lambda t, w: Call("POST", lambda _: f"/s/{t}/drop/", upload_body)),
    "tus drop": (
        "links:tus",
        lambda t, w: Call("POST", lambda _: f"/s/{t}/tus/", headers=tus_drop_creation),
    ),
    "tus continue": (
        "links:tus-upload",
        lambda t, w: Call(
            "HEAD",
            lambda _: another_visitors_tus_upload(t, w),
            headers=lambda _: {"Tus-Resumable": "1.0.0"},
        ),
    ),
}

LINK_EXPECTED: dict[str, tuple[int, ...]] = {
    #               link  right wrong exp   used  revk  limit drop  unkn  trash
    "open":         (200,  200,  200,  410,  410,  410,  200,  200,  404,  404),
    "unlock":       (302,  302,  302,  410,  410,  410,  302,  302,  404,  404),
    "subfolder":    (200,  200,  403,  410,  410,  410,  200,  404,  404,  404),
    "download":     (200,  200,  403,  410,  410,  410,  200,  404,  404,  404),
    "file page":    (200,  200,  403,  410,  410,  410,  200,  404,  404,  404),
    "preview":      (200,  200,  403,  410,  410,  410,  404,  404,  404,  404),
    "zip":          (200,  200,  403,  410,  410,  410,  200,  404,  404,  404),
    "drop":         (404,  404,  403,  410,  410,  410,  404,  302,  404,  404),
    "tus drop":     (404,  404,  403,  410,  410,  410,  404,  201,  404,  404),
    # Another link session's upload: nobody else's to continue.
    "tus continue": (404,  404,  403,  410,  410,  410,  404,  404,  404,  404),
}  # fmt: skip


def link_cells() -> list[tuple[str, str, int]]:
    assert LINK_EXPECTED.keys() == LINK_VIEWS.keys()
    return [
        (actor, view, status)
        for view, statuses in LINK_EXPECTED.items()
        for actor, status in zip(LINK_ACTORS, statuses, strict=True)
    ]


@pytest.mark.parametrize(("actor", "view", "expected"), link_cells())
def test_link_surface(world: World, actor: str, view: str, expected: int) -> None:
    cache.clear()  # guess counters
    holder = LINK_ACTORS[actor]
    link, token = grants.create_link(world.shared, kind=holder.kind, password=holder.password)
    Link.objects.filter(pk=link.pk).update(**dict(holder.change))
    if holder.trashed:
        trash.trash_folder(world.shared, by=world.users["owner"])
    client = Client()
    if holder.typed is not None:
        client.post(f"/s/{token}/unlock/", {"password": holder.typed})
    call = LINK_VIEWS[view][1](holder.token or token, world)
    assert request(client, call, world).status_code == expected


def test_every_view_has_a_column() -> None:
    resolver = get_resolver()
    for namespace, columns in (("files", SIGNED_IN_VIEWS), ("links", LINK_VIEWS)):
        _, sub_resolver = resolver.namespace_dict[namespace]
        names = {f"{namespace}:{key}" for key in sub_resolver.reverse_dict if isinstance(key, str)}
        covered = {url_name for url_name, _ in columns.values()}
        assert names == covered, f"{namespace}: add a column for {sorted(names - covered)}"
