"""The API's folders, shares and links: the browser's operations and rules, in JSON."""

from __future__ import annotations

import json

import pytest
from django.test import Client

from accounts.models import User
from files.models import Folder, Link, Share, UploadedFile
from files.sharing import grants
from files.tests.api_utils import token_client
from files.tests.conftest import MakeFile, MakeFolder


@pytest.fixture
def api(alice: User) -> Client:
    return token_client(alice)


def send(client: Client, method: str, path: str, body: dict[str, object]) -> object:
    return client.generic(method, path, json.dumps(body), content_type="application/json")


def test_it_creates_a_folder_and_a_subfolder(api: Client, alice: User) -> None:
    top = send(api, "POST", "/api/v1/folders/", {"name": "Docs"})
    assert top.status_code == 201
    sub = send(api, "POST", "/api/v1/folders/", {"name": "Sub", "parent": top.json()["id"]})
    assert sub.status_code == 201
    assert sub.json()["parent"] == top.json()["id"]
    assert Folder.objects.get(pk=sub.json()["id"]).owner == alice


def test_a_taken_folder_name_is_a_conflict(api: Client, alice: User, make_file: MakeFile) -> None:
    make_file(alice, "Docs")
    response = send(api, "POST", "/api/v1/folders/", {"name": "docs"})
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "name"
    assert response.json()["errors"][0]["code"] == "name_taken"


def test_an_empty_folder_name_is_refused(api: Client) -> None:
    response = send(api, "POST", "/api/v1/folders/", {"name": "/"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "bad_name"


def test_it_lists_top_folders_and_subfolders(api: Client, alice: User,
                                             make_folder: MakeFolder) -> None:  # fmt: skip
    docs = make_folder(alice, "Docs")
    make_folder(alice, "Sub", parent=docs)
    make_folder(alice, "Art")
    top = api.get("/api/v1/folders/").json()
    assert [f["name"] for f in top["results"]] == ["Art", "Docs"]
    below = api.get(f"/api/v1/folders/?parent={docs.pk}").json()
    assert [f["name"] for f in below["results"]] == ["Sub"]


def test_it_renames_and_moves_a_folder(api: Client, alice: User, make_folder: MakeFolder) -> None:
    docs = make_folder(alice, "Docs")
    art = make_folder(alice, "Art")
    response = send(
        api, "PATCH", f"/api/v1/folders/{art.pk}/", {"name": "Arts", "parent": str(docs.pk)}
    )
    assert response.status_code == 200
    art.refresh_from_db()
    assert (art.name, art.parent, art.path.startswith(docs.path)) == ("Arts", docs, True)


def test_a_folder_cannot_move_into_itself(api: Client, alice: User,
                                          make_folder: MakeFolder) -> None:  # fmt: skip
    docs = make_folder(alice, "Docs")
    sub = make_folder(alice, "Sub", parent=docs)
    response = send(api, "PATCH", f"/api/v1/folders/{docs.pk}/", {"parent": str(sub.pk)})
    assert response.status_code == 400
    assert response.json()["errors"][0] | {"message": ""} == {
        "field": "parent", "message": "", "code": "cycle"}  # fmt: skip


def test_a_folder_cannot_move_into_another_owners(api: Client, alice: User, bob: User,
                                                  make_folder: MakeFolder) -> None:  # fmt: skip
    mine = make_folder(alice, "Mine")
    theirs = make_folder(bob, "Theirs")
    grants.share(theirs, alice, Share.Role.EDITOR)
    response = send(api, "PATCH", f"/api/v1/folders/{mine.pk}/", {"parent": str(theirs.pk)})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "outside_share"
    mine.refresh_from_db()
    assert mine.parent is None


def test_it_tells_what_a_folder_holds_and_deletes_it_all(
    api: Client, alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    make_file(alice, "a.txt", b"12345", folder=make_folder(alice, "Sub", parent=docs))
    assert api.get(f"/api/v1/folders/{docs.pk}/contents/").json() == {
        "folders": 1, "files": 1, "bytes": 5}  # fmt: skip
    assert api.delete(f"/api/v1/folders/{docs.pk}/").status_code == 204
    # The whole tree to the owner's trash.
    assert not Folder.objects.filter(trashed_at__isnull=True).exists()
    assert not UploadedFile.objects.filter(trashed_at__isnull=True).exists()


def test_it_shares_a_folder_and_revokes_it(api: Client, alice: User, bob: User,
                                           make_folder: MakeFolder) -> None:  # fmt: skip
    docs = make_folder(alice, "Docs")
    wanted = {"folder": str(docs.pk), "recipient": "BOB@example.org", "role": "editor"}
    shared = send(api, "POST", "/api/v1/shares/", wanted)
    assert shared.status_code == 201
    assert shared.json() | {"id": 0, "created": ""} == {
        "id": 0, "file": None, "folder": str(docs.pk), "name": "Docs", "owner": "alice",
        "recipient": "bob", "role": "editor", "created": ""}  # fmt: skip
    received = token_client(bob).get("/api/v1/shared-with-me/").json()
    assert [s["name"] for s in received["results"]] == ["Docs"]
    listed = api.get(f"/api/v1/shares/?folder={docs.pk}").json()
    assert [s["recipient"] for s in listed["results"]] == ["bob"]
    assert api.delete(f"/api/v1/shares/{shared.json()['id']}/").status_code == 204
    assert not Share.objects.exists()


def test_a_file_is_shared_only_for_viewing(api: Client, alice: User, bob: User,
                                           make_file: MakeFile) -> None:  # fmt: skip
    stored = make_file(alice, "a.txt")
    response = send(api, "POST", "/api/v1/shares/",
                    {"file": str(stored.pk), "recipient": "bob", "role": "editor"})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "editor_on_file"


def test_sharing_needs_one_known_recipient(api: Client, alice: User, make_file: MakeFile) -> None:
    stored = make_file(alice, "a.txt")
    response = send(api, "POST", "/api/v1/shares/", {"file": str(stored.pk), "recipient": "nobody"})
    assert response.status_code == 400
    assert response.json()["errors"][0] | {"message": ""} == {
        "field": "recipient", "message": "", "code": "no_such_user"}  # fmt: skip


def test_sharing_names_one_item(api: Client) -> None:
    response = send(api, "POST", "/api/v1/shares/", {"recipient": "bob"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "one_item"


def test_it_makes_a_link_shown_once_and_revokes_it(api: Client, alice: User,
                                                   make_file: MakeFile) -> None:  # fmt: skip
    stored = make_file(alice, "a.txt", b"hello")
    made = send(api, "POST", "/api/v1/links/",
                {"file": str(stored.pk), "password": "pw", "download_limit": 2})  # fmt: skip
    assert made.status_code == 201
    body = made.json()
    assert body["url"].startswith("http://testserver/s/")
    assert (body["kind"], body["has_password"], body["download_limit"]) == ("download", True, 2)
    assert "password" not in body
    # The link works for anyone holding it, as one made on the sharing page.
    assert Client().get(body["url"]).status_code == 200
    shown = api.get(f"/api/v1/links/{body['id']}/").json()
    assert "url" not in shown
    assert api.delete(f"/api/v1/links/{body['id']}/").status_code == 204
    assert Link.objects.get().revoked is not None
    assert Client().get(body["url"]).status_code == 410


def test_a_drop_link_needs_a_folder(api: Client, alice: User, make_file: MakeFile) -> None:
    stored = make_file(alice, "a.txt")
    response = send(api, "POST", "/api/v1/links/", {"file": str(stored.pk), "kind": "drop"})
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "drop_on_file"


def test_a_link_cannot_expire_in_the_past(api: Client, alice: User, make_file: MakeFile) -> None:
    stored = make_file(alice, "a.txt")
    response = send(api, "POST", "/api/v1/links/",
                    {"file": str(stored.pk), "expires": "2000-01-01T00:00:00Z"})  # fmt: skip
    assert response.status_code == 400
    assert response.json()["errors"][0] | {"message": ""} == {
        "field": "expires", "message": "", "code": "expired"}  # fmt: skip


def test_only_the_owner_shares_or_links(alice: User, bob: User, make_folder: MakeFolder) -> None:
    docs = make_folder(alice, "Docs")
    grants.share(docs, bob, Share.Role.EDITOR)
    editor = token_client(bob)
    assert send(editor, "POST", "/api/v1/shares/",
                {"folder": str(docs.pk), "recipient": "alice"}).status_code == 404  # fmt: skip
    assert send(editor, "POST", "/api/v1/links/", {"folder": str(docs.pk)}).status_code == 404
    assert not Link.objects.exists()
