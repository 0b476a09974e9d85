"""The API's files: list, search, upload, metadata, rename and move, delete, download."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from files import access
from files.history import trash
from files.models import DownloadEvent, ScanStatus, UploadedFile
from files.sharing import grants
from files.tests.api_utils import token_client
from files.tests.conftest import MakeFile, MakeFolder


@pytest.fixture
def api(alice: User) -> Client:
    return token_client(alice)


def test_it_lists_the_top_level_newest_first(
    api: Client, alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    make_file(alice, "old.txt")
    make_file(alice, "new.txt")
    make_file(alice, "inside.txt", folder=make_folder(alice, "Docs"))
    response = api.get("/api/v1/files/")
    assert response.status_code == 200
    body = response.json()
    assert body["count"] == 2
    assert [f["name"] for f in body["results"]] == ["new.txt", "old.txt"]
    assert body["results"][0]["owner"] == "alice"


def test_it_sorts_by_name_and_size(api: Client, alice: User, make_file: MakeFile) -> None:
    make_file(alice, "b.txt", b"123")
    make_file(alice, "A.txt", b"1")
    names = [f["name"] for f in api.get("/api/v1/files/?sort=name").json()["results"]]
    assert names == ["A.txt", "b.txt"]
    names = [f["name"] for f in api.get("/api/v1/files/?sort=-size").json()["results"]]
    assert names == ["b.txt", "A.txt"]


def test_it_searches_the_whole_account(
    api: Client, alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    make_file(alice, "report.pdf", folder=make_folder(alice, "Docs"))
    make_file(alice, "photo.png")
    body = api.get("/api/v1/files/?q=REPORT").json()
    assert [f["name"] for f in body["results"]] == ["report.pdf"]


def test_it_lists_a_folder_shared_with_me(
    alice: User, bob: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    make_file(alice, "in.txt", folder=shared)
    grants.share(shared, bob)
    body = token_client(bob).get(f"/api/v1/files/?folder={shared.pk}").json()
    assert [f["name"] for f in body["results"]] == ["in.txt"]


def test_a_strangers_folder_is_404(alice: User, charlie: User, make_folder: MakeFolder) -> None:
    folder = make_folder(alice, "Private")
    response = token_client(charlie).get(f"/api/v1/files/?folder={folder.pk}")
    assert response.status_code == 404
    assert response.json() == {
        "errors": [{"field": None, "message": "Not found.", "code": "not_found"}]
    }


def test_the_list_costs_the_same_queries_for_3_files_or_30(
    api: Client, alice: User, make_file: MakeFile
) -> None:
    for i in range(3):
        make_file(alice, f"{i}.txt")
    api.get("/api/v1/files/")  # the token's first use is stamped, once a minute
    with CaptureQueriesContext(connection) as few:
        assert api.get("/api/v1/files/?sort=name").status_code == 200
    for i in range(3, 30):
        make_file(alice, f"{i}.txt")
    with CaptureQueriesContext(connection) as many:
        assert len(api.get("/api/v1/files/?sort=name").json()["results"]) == 25
    assert len(many) == len(few)
    # The token, the lockout checks accounts.tokens makes around it, the count, the page.
    sql = [q["sql"] for q in many]
    assert sum("axes_accessattempt" in q for q in sql) == len(sql) - 3, sql
    assert sum("accounts_token" in q for q in sql) == 1


def test_it_uploads_a_file_through_the_intake(api: Client, alice: User) -> None:
    response = api.post("/api/v1/files/", {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert response.status_code == 201
    body = response.json()
    stored = UploadedFile.objects.get(pk=body["id"])
    assert (stored.owner, stored.name, stored.size) == (alice, "a.txt", 5)
    assert body["sha256"] == "2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824"
    assert body["download_url"] == f"/api/v1/files/{stored.pk}/download/"


def test_it_uploads_into_a_folder_and_numbers_a_taken_name(
    api: Client, alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    make_file(alice, "a.txt", folder=docs)
    response = api.post(
        "/api/v1/files/", {"file": SimpleUploadedFile("a.txt", b"x"), "folder": str(docs.pk)}
    )
    assert response.status_code == 201
    assert (response.json()["name"], response.json()["folder"]) == ("a (1).txt", str(docs.pk))


def test_an_editor_uploads_into_the_owners_folder(
    alice: User, bob: User, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    grants.share(shared, bob, "editor")
    response = token_client(bob).post(
        "/api/v1/files/", {"file": SimpleUploadedFile("b.txt", b"x"), "folder": str(shared.pk)}
    )
    assert response.status_code == 201
    assert UploadedFile.objects.get(pk=response.json()["id"]).owner == alice


def test_a_viewer_cannot_upload_into_a_shared_folder(
    alice: User, bob: User, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    grants.share(shared, bob)
    response = token_client(bob).post(
        "/api/v1/files/", {"file": SimpleUploadedFile("b.txt", b"x"), "folder": str(shared.pk)}
    )
    assert response.status_code == 404
    assert not UploadedFile.objects.exists()


def test_an_upload_over_quota_has_the_uploaders_code(api: Client, alice: User) -> None:
    alice.quota = 3
    alice.save()
    response = api.post("/api/v1/files/", {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert (error["field"], error["code"]) == ("file", "over_quota")


def test_a_too_large_upload_is_413(api: Client, settings) -> None:
    settings.PORTAL_MAX_UPLOAD_SIZE = 3
    response = api.post("/api/v1/files/", {"file": SimpleUploadedFile("a.txt", b"hello")})
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"


def test_an_upload_without_a_file_says_which_field(api: Client) -> None:
    response = api.post("/api/v1/files/", {})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "file"
    assert response.json()["errors"][0]["code"] == "required"


def test_it_refuses_two_files_in_one_request(api: Client) -> None:
    response = api.post(
        "/api/v1/files/",
        {"file": [SimpleUploadedFile("a.txt", b"a"), SimpleUploadedFile("b.txt", b"b")]},
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "one_file"
    assert not UploadedFile.objects.exists()


def test_an_unavailable_store_is_503_and_nothing_is_kept(api: Client, monkeypatch) -> None:
    from files.uploads import intake

    def down(*args, **kwargs):
        raise intake.StoreUnavailable("down")

    monkeypatch.setattr(intake, "store_uploads", down)
    response = api.post("/api/v1/files/", {"file": SimpleUploadedFile("a.txt", b"a")})
    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert response.json()["errors"][0]["code"] == "store_unavailable"


def test_it_shows_a_files_metadata(api: Client, alice: User, make_file: MakeFile) -> None:
    stored = make_file(alice, "a.txt", b"hello")
    body = api.get(f"/api/v1/files/{stored.pk}/").json()
    assert (body["id"], body["name"], body["size"], body["content_type"]) == (
        str(stored.pk),
        "a.txt",
        5,
        "text/plain",
    )


def test_a_bad_id_is_404_in_json(api: Client) -> None:
    response = api.get("/api/v1/files/not-an-id/")
    assert response.status_code == 404
    assert response.json()["errors"][0]["code"] == "not_found"


def test_it_renames_a_file(api: Client, alice: User, make_file: MakeFile) -> None:
    stored = make_file(alice, "a.txt")
    response = api.patch(
        f"/api/v1/files/{stored.pk}/", {"name": "b.txt"}, content_type="application/json"
    )
    assert response.status_code == 200
    assert response.json()["name"] == "b.txt"
    stored.refresh_from_db()
    assert stored.name == "b.txt"


def test_a_rename_onto_a_taken_name_is_a_conflict_with_its_code(
    api: Client, alice: User, make_file: MakeFile
) -> None:
    stored = make_file(alice, "a.txt")
    make_file(alice, "b.txt")
    response = api.patch(
        f"/api/v1/files/{stored.pk}/", {"name": "B.txt"}, content_type="application/json"
    )
    assert response.status_code == 409
    assert response.json()["errors"][0] | {"message": ""} == {
        "field": "name",
        "message": "",
        "code": "name_taken",
    }


def test_it_moves_a_file_and_back_to_the_top(
    api: Client, alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    stored = make_file(alice, "a.txt")
    docs = make_folder(alice, "Docs")
    moved = api.patch(
        f"/api/v1/files/{stored.pk}/", {"folder": str(docs.pk)}, content_type="application/json"
    )
    assert moved.json()["folder"] == str(docs.pk)
    back = api.patch(
        f"/api/v1/files/{stored.pk}/", {"folder": None}, content_type="application/json"
    )
    assert back.json()["folder"] is None
    stored.refresh_from_db()
    assert stored.folder is None


def test_a_refused_move_undoes_the_rename_sent_with_it(
    api: Client, alice: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    make_file(alice, "b.txt", folder=docs)
    stored = make_file(alice, "b.txt")
    response = api.patch(
        f"/api/v1/files/{stored.pk}/",
        {"folder": str(docs.pk), "name": "c.txt"},
        content_type="application/json",
    )
    assert response.status_code == 409
    assert response.json()["errors"][0]["field"] == "folder"
    stored.refresh_from_db()
    assert (stored.name, stored.folder) == ("b.txt", None)


def test_an_editor_cannot_move_a_file_out_of_the_share(
    alice: User, bob: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    stored = make_file(alice, "a.txt", folder=shared)
    grants.share(shared, bob, "editor")
    response = token_client(bob).patch(
        f"/api/v1/files/{stored.pk}/", {"folder": None}, content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "outside_share"


def test_it_deletes_a_file(api: Client, alice: User, make_file: MakeFile) -> None:
    stored = make_file(alice, "a.txt")
    response = api.delete(f"/api/v1/files/{stored.pk}/")
    assert response.status_code == 204
    # To the owner's trash, as from the browser: gone from every set anyone reaches.
    assert UploadedFile.objects.get(pk=stored.pk).trashed_at is not None
    assert api.get(f"/api/v1/files/{stored.pk}/").status_code == 404


def test_an_editor_deletes_inside_a_share_into_the_owners_trash(
    alice: User, bob: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    inner = make_folder(alice, "Inner", parent=shared)
    stored = make_file(alice, "a.txt", b"abc", folder=shared)
    grants.share(shared, bob, "editor")
    editor = token_client(bob)
    assert editor.delete(f"/api/v1/files/{stored.pk}/").status_code == 204
    assert editor.delete(f"/api/v1/folders/{inner.pk}/").status_code == 204
    # The shared folder itself stays the owner's to delete, as in the browser.
    assert editor.delete(f"/api/v1/folders/{shared.pk}/").status_code == 404
    assert {f.pk for f in access.trashed_files(alice)} == {stored.pk}
    assert {f.pk for f in access.trashed_folders(alice)} == {inner.pk}
    assert UploadedFile.objects.get(pk=stored.pk).trashed_by == bob
    # The owner restores it to its place.
    restored = trash.restore(UploadedFile.objects.get(pk=stored.pk))
    assert restored.place == shared
    assert editor.get(f"/api/v1/files/{stored.pk}/").status_code == 200


def test_a_viewer_deletes_nothing_inside_a_share(
    alice: User, bob: User, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    stored = make_file(alice, "a.txt", folder=shared)
    grants.share(shared, bob, "viewer")
    assert token_client(bob).delete(f"/api/v1/files/{stored.pk}/").status_code == 404
    assert UploadedFile.objects.get(pk=stored.pk).trashed_at is None


def test_it_downloads_as_the_browser_does_and_records_it(
    api: Client, alice: User, make_file: MakeFile
) -> None:
    stored = make_file(alice, "áéБД.txt", b"hello")
    response = api.get(f"/api/v1/files/{stored.pk}/download/", HTTP_ACCEPT="application/json")
    browser = Client()
    browser.force_login(alice)
    expected = browser.get(f"/files/{stored.pk}/download/")
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"hello"
    for header in (
        "Content-Type",
        "Content-Disposition",
        "X-Content-Type-Options",
        "Cache-Control",
        "Content-Security-Policy",
        "Content-Length",
    ):
        assert response.get(header) == expected.get(header), header
    event = DownloadEvent.objects.first()
    assert event is not None
    assert (event.file, event.user) == (stored, alice)


def test_a_download_goes_through_nginx_when_set(
    api: Client, alice: User, make_file: MakeFile, settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    stored = make_file(alice, "a.txt", b"hello")
    response = api.get(f"/api/v1/files/{stored.pk}/download/")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"].startswith("/_protected/")
    assert response.content == b""


def test_a_head_of_a_download_is_not_recorded(
    api: Client, alice: User, make_file: MakeFile
) -> None:
    stored = make_file(alice, "a.txt", b"hello")
    assert api.head(f"/api/v1/files/{stored.pk}/download/").status_code == 200
    assert not DownloadEvent.objects.exists()


def test_an_upload_with_an_empty_folder_is_refused(api: Client) -> None:
    response = api.post("/api/v1/files/", {"file": SimpleUploadedFile("a.txt", b"a"), "folder": ""})
    assert response.status_code == 400
    assert response.json()["errors"][0]["field"] == "folder"
    assert not UploadedFile.objects.exists()


def test_an_unknown_sort_or_page_is_refused(api: Client) -> None:
    assert api.get("/api/v1/files/?sort=owner").json()["errors"][0]["field"] == "sort"
    assert api.get("/api/v1/files/?page=last").json()["errors"][0]["field"] == "page"
    assert api.get("/api/v1/files/?page=9").status_code == 404


def test_a_search_with_a_nul_searches_as_names_are_stored(
    api: Client, alice: User, make_file: MakeFile
) -> None:
    # A name never holds a NUL (an upload of "a\x00b.txt" is stored as "ab.txt"), and
    # PostgreSQL refuses one in a statement: the query loses it as the name did.
    make_file(alice, "ab.txt")
    response = api.get("/api/v1/files/?q=a%00b")
    assert response.status_code == 200
    assert [item["name"] for item in response.json()["results"]] == ["ab.txt"]


def test_a_json_body_past_the_limit_is_refused_unread(api: Client, settings) -> None:
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    body = '{"name": "' + "x" * 200 + '"}'
    response = api.post("/api/v1/folders/", body, content_type="application/json")
    assert response.status_code == 413
    assert response.json()["errors"][0]["code"] == "too_large"


def test_a_json_body_past_the_limit_is_refused_by_the_parser_too(rf, alice: User, settings) -> None:
    from files.api.errors import BodyTooLarge
    from files.api.parsers import BoundedJSONParser

    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 100
    request = rf.post("/api/v1/folders/", "{}", content_type="application/json")
    request.META["CONTENT_LENGTH"] = "101"
    with pytest.raises(BodyTooLarge):
        BoundedJSONParser().parse(request, parser_context={"request": request})


def test_a_download_the_scanner_withholds_is_refused(
    api: Client, alice: User, bob: User, make_file: MakeFile
) -> None:
    stored = make_file(alice, "a.txt", b"hello")
    grants.share(stored, bob)
    UploadedFile.objects.filter(pk=stored.pk).update(scan_status=ScanStatus.PENDING)
    response = token_client(bob).get(f"/api/v1/files/{stored.pk}/download/")
    assert response.status_code == 409
    assert response["Retry-After"]
    assert response.json()["code"] == "scan_pending"
    assert not DownloadEvent.objects.exists()
    # The owner gets a pending file; nobody gets an infected one.
    assert api.get(f"/api/v1/files/{stored.pk}/download/").status_code == 200
    UploadedFile.objects.filter(pk=stored.pk).update(scan_status=ScanStatus.INFECTED)
    assert api.get(f"/api/v1/files/{stored.pk}/download/").status_code == 403
