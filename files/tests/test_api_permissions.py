"""Who gets what from the API: every route against every kind of caller, as one table.

The world is the browser table's (files/tests/test_permissions.py): alice's
Shared/ with Sub/ and photo.png, bob views it, erin edits it. Each caller
sends a token of their own, except "anonymous" (nothing), "read-only" (a
read-only token of alice's) and "password" (alice's account password as
Basic auth: refused like no token). `test_every_api_route_has_a_row` walks
the URL configuration as the browser table's walk does, so a new route
fails the suite until it has a row here.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import get_resolver

from files.tests.api_utils import token_client
from files.tests.test_permissions import World, world  # noqa: F401 (the fixture)


@dataclass(frozen=True)
class Call:
    """One request: the method, a path built from the world, and a body (JSON, or multipart)."""

    method: str
    path: Callable[[World], str]
    data: Callable[[World], dict[str, object]] | None = None
    multipart: bool = False


def upload(folder: bool) -> Callable[[World], dict[str, object]]:
    def body(w: World) -> dict[str, object]:
        sent: dict[str, object] = {"file": SimpleUploadedFile("new.txt", b"new")}
        if folder:
            sent["folder"] = str(w.shared.pk)
        return sent

    return body


# Row: (URL name, what is tried). Several rows may try one URL name.
API_VIEWS: dict[str, tuple[str, Call]] = {
    "files": ("api:file-list", Call("GET", lambda w: "/api/v1/files/")),
    "files of shared": (
        "api:file-list", Call("GET", lambda w: f"/api/v1/files/?folder={w.shared.pk}")),
    "upload": ("api:file-list", Call("POST", lambda w: "/api/v1/files/", upload(False), True)),
    "upload into": ("api:file-list", Call("POST", lambda w: "/api/v1/files/", upload(True), True)),
    "file": ("api:file-detail", Call("GET", lambda w: f"/api/v1/files/{w.photo.pk}/")),
    "rename file": ("api:file-detail", Call(
        "PATCH", lambda w: f"/api/v1/files/{w.photo.pk}/", lambda w: {"name": "renamed.png"})),
    "move file": ("api:file-detail", Call(
        "PATCH", lambda w: f"/api/v1/files/{w.photo.pk}/", lambda w: {"folder": str(w.sub.pk)})),
    "delete file": ("api:file-detail", Call("DELETE", lambda w: f"/api/v1/files/{w.photo.pk}/")),
    "download": (
        "api:file-download", Call("GET", lambda w: f"/api/v1/files/{w.photo.pk}/download/")),
    "folders": ("api:folder-list", Call("GET", lambda w: "/api/v1/folders/")),
    "subfolders": (
        "api:folder-list", Call("GET", lambda w: f"/api/v1/folders/?parent={w.shared.pk}")),
    "new folder": (
        "api:folder-list", Call("POST", lambda w: "/api/v1/folders/", lambda w: {"name": "Mine"})),
    "new subfolder": ("api:folder-list", Call(
        "POST", lambda w: "/api/v1/folders/",
        lambda w: {"name": "New", "parent": str(w.shared.pk)})),
    "folder": ("api:folder-detail", Call("GET", lambda w: f"/api/v1/folders/{w.shared.pk}/")),
    "rename shared root": ("api:folder-detail", Call(
        "PATCH", lambda w: f"/api/v1/folders/{w.shared.pk}/", lambda w: {"name": "X"})),
    "rename inside": ("api:folder-detail", Call(
        "PATCH", lambda w: f"/api/v1/folders/{w.sub.pk}/", lambda w: {"name": "Y"})),
    "move shared root": ("api:folder-detail", Call(
        "PATCH", lambda w: f"/api/v1/folders/{w.shared.pk}/", lambda w: {"parent": None})),
    "delete folder": (
        "api:folder-detail", Call("DELETE", lambda w: f"/api/v1/folders/{w.sub.pk}/")),
    "delete shared root": (
        "api:folder-detail", Call("DELETE", lambda w: f"/api/v1/folders/{w.shared.pk}/")),
    "contents": (
        "api:folder-contents", Call("GET", lambda w: f"/api/v1/folders/{w.shared.pk}/contents/")),
    "shares": ("api:share-list", Call("GET", lambda w: "/api/v1/shares/")),
    "share folder": ("api:share-list", Call(
        "POST", lambda w: "/api/v1/shares/",
        lambda w: {"folder": str(w.shared.pk), "recipient": "charlie"})),
    "share": ("api:share-detail", Call("GET", lambda w: f"/api/v1/shares/{w.share.pk}/")),
    "revoke share": (
        "api:share-detail", Call("DELETE", lambda w: f"/api/v1/shares/{w.share.pk}/")),
    "shared with me": ("api:shared-with-me", Call("GET", lambda w: "/api/v1/shared-with-me/")),
    "links": ("api:link-list", Call("GET", lambda w: "/api/v1/links/")),
    "link folder": ("api:link-list", Call(
        "POST", lambda w: "/api/v1/links/",
        lambda w: {"folder": str(w.shared.pk), "kind": "drop"})),
    "link": ("api:link-detail", Call("GET", lambda w: f"/api/v1/links/{w.link.pk}/")),
    "revoke link": ("api:link-detail", Call("DELETE", lambda w: f"/api/v1/links/{w.link.pk}/")),
    "schema": ("api:schema", Call("GET", lambda w: "/api/v1/schema/")),
    "docs": ("api:docs", Call("GET", lambda w: "/api/v1/docs/")),
}  # fmt: skip

ACTORS = ("owner", "viewer", "editor", "stranger", "staff", "anonymous", "read-only", "password")
# One row per route, one status per caller in ACTORS order.
EXPECTED: dict[str, tuple[int, ...]] = {
    #                      owne view edit stra staf anon r-o  pass
    "files":               (200, 200, 200, 200, 200, 401, 200, 401),
    "files of shared":     (200, 200, 200, 404, 200, 401, 200, 401),
    "upload":              (201, 201, 201, 201, 201, 401, 403, 401),
    "upload into":         (201, 404, 201, 404, 404, 401, 403, 401),
    "file":                (200, 200, 200, 404, 200, 401, 200, 401),
    "rename file":         (200, 404, 200, 404, 404, 401, 403, 401),
    "move file":           (200, 404, 200, 404, 404, 401, 403, 401),
    "delete file":         (204, 404, 204, 404, 404, 401, 403, 401),
    "download":            (200, 200, 200, 404, 200, 401, 200, 401),
    "folders":             (200, 200, 200, 200, 200, 401, 200, 401),
    "subfolders":          (200, 200, 200, 404, 200, 401, 200, 401),
    "new folder":          (201, 201, 201, 201, 201, 401, 403, 401),
    "new subfolder":       (201, 404, 201, 404, 404, 401, 403, 401),
    "folder":              (200, 200, 200, 404, 200, 401, 200, 401),
    "rename shared root":  (200, 404, 404, 404, 404, 401, 403, 401),
    "rename inside":       (200, 404, 200, 404, 404, 401, 403, 401),
    "move shared root":    (200, 404, 404, 404, 404, 401, 403, 401),
    "delete folder":       (204, 404, 204, 404, 404, 401, 403, 401),
    "delete shared root":  (204, 404, 404, 404, 404, 401, 403, 401),
    "contents":            (200, 200, 200, 404, 200, 401, 200, 401),
    "shares":              (200, 200, 200, 200, 200, 401, 200, 401),
    "share folder":        (201, 404, 404, 404, 404, 401, 403, 401),
    "share":               (200, 404, 404, 404, 404, 401, 200, 401),
    "revoke share":        (204, 404, 404, 404, 404, 401, 403, 401),
    "shared with me":      (200, 200, 200, 200, 200, 401, 200, 401),
    "links":               (200, 200, 200, 200, 200, 401, 200, 401),
    "link folder":         (201, 404, 404, 404, 404, 401, 403, 401),
    "link":                (200, 404, 404, 404, 404, 401, 200, 401),
    "revoke link":         (204, 404, 404, 404, 404, 401, 403, 401),
    "schema":              (200, 200, 200, 200, 200, 200, 200, 200),
    "docs":                (200, 200, 200, 200, 200, 200, 200, 200),
}  # fmt: skip


def cells() -> list[tuple[str, str, int]]:
    assert EXPECTED.keys() == API_VIEWS.keys()
    return [
        (actor, view, status)
        for view, statuses in EXPECTED.items()
        for actor, status in zip(ACTORS, statuses, strict=True)
    ]


def client_for(actor: str, w: World) -> Client:
    if actor == "anonymous":
        return Client()
    if actor == "read-only":
        return token_client(w.users["owner"], read_only=True)
    if actor == "password":
        basic = base64.b64encode(b"alice:password").decode()
        return Client(headers={"Authorization": f"Basic {basic}"})
    return token_client(w.users[actor])


def send(client: Client, call: Call, w: World) -> int:
    path = call.path(w)
    data = call.data(w) if call.data else None
    if call.method == "GET":
        return client.get(path).status_code
    if call.multipart:
        return client.post(path, data).status_code
    sent = json.dumps(data) if data is not None else ""
    return client.generic(call.method, path, sent, content_type="application/json").status_code


@pytest.mark.parametrize(("actor", "view", "expected"), cells())
def test_api_surface(world: World, actor: str, view: str, expected: int) -> None:  # noqa: F811
    assert send(client_for(actor, world), API_VIEWS[view][1], world) == expected


def test_every_api_route_has_a_row() -> None:
    _, api = get_resolver().namespace_dict["api"]
    names = {f"api:{key}" for key in api.reverse_dict if isinstance(key, str)}
    covered = {url_name for url_name, _ in API_VIEWS.values()}
    assert names == covered, f"add a row for {sorted(names - covered)}"
