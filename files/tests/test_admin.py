"""The files admin: staff see and delete everything, but add nothing and link no raw storage."""

from __future__ import annotations

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from pytest_django import DjangoCaptureOnCommitCallbacks

from accounts.models import User
from files.history import trash
from files.tests.conftest import MakeFile
from files.tests.utils import image_bytes, stored_path, stored_paths
from files.uploads import intake

CHANGELIST = "/admin/files/uploadedfile/"


def listed(client: Client, params: dict[str, str] | None = None) -> list[str]:
    response = client.get(CHANGELIST, params or {})
    assert response.status_code == 200
    return sorted(upload.name for upload in response.context["cl"].result_list)


def test_it_lists_files_with_size_and_download_link(
    alice: User, admin_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "notes.txt", b"x" * 2048)
    html = admin_client.get(CHANGELIST).content.decode()
    assert "notes.txt" in html
    assert "2.0\xa0KB" in html
    assert f'<a href="/files/{upload.pk}/download/">download</a>' in html
    assert upload.file.name not in html


def test_its_change_page_links_no_raw_storage(
    alice: User, admin_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "notes.txt")
    response = admin_client.get(f"{CHANGELIST}{upload.pk}/change/")
    assert response.status_code == 200
    html = response.content.decode()
    assert f'<a href="/files/{upload.pk}/download/">download</a>' in html
    assert "/_protected/" not in html
    assert upload.sha256 in html


def test_it_filters_by_content_type(alice: User, admin_client: Client, make_file: MakeFile) -> None:
    make_file(alice, "pic.png", image_bytes("PNG"))
    make_file(alice, "notes.txt")
    assert listed(admin_client, {"content_type": "image/png"}) == ["pic.png"]


def test_it_searches_by_owner_username(
    alice: User, bob: User, admin_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "alices.txt")
    make_file(bob, "bobs.txt")
    assert listed(admin_client, {"q": "bob"}) == ["bobs.txt"]


def test_its_changelist_runs_constant_queries(
    alice: User, bob: User, admin_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "first.txt")
    with CaptureQueriesContext(connection) as one:
        assert len(listed(admin_client)) == 1
    for i in range(10):
        make_file(alice if i % 2 else bob, f"file{i}.txt")
    with CaptureQueriesContext(connection) as eleven:
        assert len(listed(admin_client)) == 11
    assert len(eleven) == len(one)


def test_it_cannot_add_files(admin_client: Client) -> None:
    assert admin_client.get(f"{CHANGELIST}add/").status_code == 403
    assert f'href="{CHANGELIST}add/"' not in admin_client.get(CHANGELIST).content.decode()


def test_its_bulk_delete_removes_the_bytes(
    alice: User,
    admin_client: Client,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> None:
    doomed = [make_file(alice, "a.txt"), make_file(alice, "b.txt")]
    kept = make_file(alice, "c.txt")
    with django_capture_on_commit_callbacks(execute=True):
        response = admin_client.post(
            CHANGELIST,
            {
                "action": "delete_selected",
                "_selected_action": [str(upload.pk) for upload in doomed],
                "post": "yes",
            },
        )
    assert response.status_code == 302
    assert listed(admin_client) == ["c.txt"]
    assert stored_paths() == [stored_path(kept.file.name)]


def test_it_is_closed_to_ordinary_users(alice_client: Client) -> None:
    response = alice_client.get(CHANGELIST)
    assert response.status_code == 302
    assert response.url.startswith("/admin/login/")


def test_a_name_taken_beside_the_file_is_a_form_error_not_a_500(
    alice: User, admin_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "Taken.txt")
    upload = make_file(alice, "notes.txt")

    response = admin_client.post(f"{CHANGELIST}{upload.pk}/change/", {"name": "taken.TXT"})

    assert response.status_code == 200
    assert "A file named “taken.TXT” already exists in the top level." in response.content.decode()
    upload.refresh_from_db()
    assert upload.name == "notes.txt"


def test_staff_rename_a_file_with_the_rename_rules(
    alice: User, admin_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "notes.txt")

    response = admin_client.post(f"{CHANGELIST}{upload.pk}/change/", {"name": "dir/new\u202e.txt"})

    assert response.status_code == 302
    upload.refresh_from_db()
    assert upload.name == "new.txt"  # no directories, no format characters


def test_the_change_page_lists_earlier_versions_with_their_checked_download(
    alice: User, admin_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "report.txt", b"first")
    intake.replace_file(upload, SimpleUploadedFile("report.txt", b"second!"), by=alice)
    intake.replace_file(upload, SimpleUploadedFile("report.txt", b"third"), by=alice)
    version = upload.versions.order_by("-replaced").first()
    assert version is not None and version.size == 7

    html = admin_client.get(f"{CHANGELIST}{upload.pk}/change/").content.decode()

    link = f"/files/{upload.pk}/versions/{version.pk}/download/"
    assert f'<a href="{link}">download</a>' in html
    assert "7\xa0bytes · by alice" in html  # the second upload's bytes, uploaded by alice
    assert "5\xa0bytes · by —" in html  # the first: make_file records no uploader
    assert version.stored.name not in html
    assert admin_client.get(link).status_code == 200


def test_a_file_without_versions_says_none(
    alice: User, admin_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "notes.txt")
    html = admin_client.get(f"{CHANGELIST}{upload.pk}/change/").content.decode()
    assert "earlier versions" in html.lower()
    assert "/versions/" not in html


def test_it_filters_trashed_files_from_live_ones(
    alice: User, admin_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "kept.txt")
    trash.trash_file(make_file(alice, "binned.txt"), by=alice)
    assert listed(admin_client) == ["binned.txt", "kept.txt"]
    assert listed(admin_client, {"trash": "in"}) == ["binned.txt"]
    assert listed(admin_client, {"trash": "out"}) == ["kept.txt"]
