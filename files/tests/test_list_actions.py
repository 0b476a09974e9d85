"""The list's actions (issue 18): what static/list.js asks of the existing views, and the rows.

Rename and delete answer JSON when asked (`Accept: application/json`); the
move form takes folders too; /files/download/ zips a selection. Who may do
what is still files.access's: the same 404s as the pages.
"""

from __future__ import annotations

import io
import zipfile

import pytest
from django.test import Client

from accounts.models import User
from files.models import DownloadEvent, Folder, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.test_folder_views import page_text

JSON = {"HTTP_ACCEPT": "application/json"}


def zip_names(response) -> list[str]:
    data = b"".join(response.streaming_content)
    return zipfile.ZipFile(io.BytesIO(data)).namelist()


def test_it_renames_a_file_and_answers_json(alice: User, alice_client: Client, make_file: MakeFile):
    notes = make_file(alice, "notes.txt")
    response = alice_client.post(f"/files/{notes.pk}/", {"name": "plan.txt"}, **JSON)
    assert response.status_code == 200
    assert response.json() == {"name": "plan.txt", "message": "Renamed to plan.txt."}
    notes.refresh_from_db()
    assert notes.name == "plan.txt"


def test_it_refuses_a_taken_file_name_as_json(
    alice: User, alice_client: Client, make_file: MakeFile
):
    notes = make_file(alice, "notes.txt")
    make_file(alice, "plan.txt")
    response = alice_client.post(f"/files/{notes.pk}/", {"name": "PLAN.txt"}, **JSON)
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["field"] == "name" and error["code"] == "name_taken"
    notes.refresh_from_db()
    assert notes.name == "notes.txt"


def test_it_renames_a_folder_and_answers_json(
    alice: User, alice_client: Client, make_folder: MakeFolder
):
    photos = make_folder(alice, "Photos")
    response = alice_client.post(
        f"/files/folders/{photos.pk}/rename/", {"name": "Pictures"}, **JSON
    )
    assert response.json() == {"name": "Pictures", "message": "Renamed Photos to Pictures."}
    photos.refresh_from_db()
    assert photos.name == "Pictures"


def test_it_refuses_an_empty_folder_name_as_json(
    alice: User, alice_client: Client, make_folder: MakeFolder
):
    photos = make_folder(alice, "Photos")
    response = alice_client.post(f"/files/folders/{photos.pk}/rename/", {"name": ""}, **JSON)
    assert response.status_code == 400
    assert response.json()["errors"][0]["code"] == "required"


def test_a_browser_still_gets_the_page_after_a_rename(
    alice: User, alice_client: Client, make_file: MakeFile
):
    notes = make_file(alice, "notes.txt")
    response = alice_client.post(f"/files/{notes.pk}/", {"name": "plan.txt"})
    assert response.status_code == 302


def test_it_deletes_a_file_to_the_trash_and_answers_json(
    alice: User, alice_client: Client, make_file: MakeFile
):
    notes = make_file(alice, "notes.txt")
    response = alice_client.post(f"/files/{notes.pk}/delete/", **JSON)
    assert response.json() == {"message": "Moved notes.txt to the trash."}
    notes.refresh_from_db()
    assert notes.trashed_at is not None


def test_it_deletes_a_folder_to_the_trash_and_answers_json(
    alice: User, alice_client: Client, make_folder: MakeFolder
):
    photos = make_folder(alice, "Photos")
    response = alice_client.post(f"/files/folders/{photos.pk}/delete/", **JSON)
    assert response.json() == {"message": "Moved folder Photos to the trash."}
    photos.refresh_from_db()
    assert photos.trashed_at is not None


def test_a_stranger_renames_and_deletes_nothing_even_asking_json(
    alice: User, charlie_client: Client, make_file: MakeFile, make_folder: MakeFolder
):
    notes = make_file(alice, "notes.txt")
    photos = make_folder(alice, "Photos")
    assert charlie_client.post(f"/files/{notes.pk}/", {"name": "x"}, **JSON).status_code == 404
    assert charlie_client.post(f"/files/{notes.pk}/delete/", **JSON).status_code == 404
    rename = charlie_client.post(f"/files/folders/{photos.pk}/rename/", {"name": "x"}, **JSON)
    assert rename.status_code == 404
    assert charlie_client.post(f"/files/folders/{photos.pk}/delete/", **JSON).status_code == 404
    notes.refresh_from_db()
    photos.refresh_from_db()
    assert (notes.name, notes.trashed_at, photos.name, photos.trashed_at) == (
        "notes.txt", None, "Photos", None
    )  # fmt: skip


def test_it_moves_files_and_folders_together(
    alice: User, alice_client: Client, make_file: MakeFile, make_folder: MakeFolder
):
    notes = make_file(alice, "notes.txt")
    photos = make_folder(alice, "Photos")
    archive = make_folder(alice, "Archive")
    response = alice_client.post(
        "/files/move/",
        {"selected": [notes.pk], "selected_folders": [photos.pk], "target": str(archive.pk)},
        follow=True,
    )
    assert "Moved 1 file and 1 folder to “Archive”." in page_text(response)
    notes.refresh_from_db()
    photos.refresh_from_db()
    assert notes.folder == archive and photos.parent == archive


def test_a_refused_folder_leaves_the_whole_selection_in_place(
    alice: User, alice_client: Client, make_file: MakeFile, make_folder: MakeFolder
):
    notes = make_file(alice, "notes.txt")
    photos = make_folder(alice, "Photos")
    inside = make_folder(alice, "Inside", parent=photos)
    response = alice_client.post(
        "/files/move/",
        {"selected": [notes.pk], "selected_folders": [photos.pk], "target": str(inside.pk)},
        follow=True,
    )
    assert "cannot be moved into itself" in page_text(response)
    notes.refresh_from_db()
    photos.refresh_from_db()
    assert notes.folder is None and photos.parent is None


def test_it_asks_for_something_to_move(alice_client: Client):
    response = alice_client.post("/files/move/", {"target": ""}, follow=True)
    assert "Choose at least one file or folder to move." in page_text(response)


def test_a_stranger_cannot_move_a_folder_of_someone_else(
    alice: User, charlie: User, charlie_client: Client, make_folder: MakeFolder
):
    photos = make_folder(alice, "Photos")
    theirs = make_folder(charlie, "Theirs")
    response = charlie_client.post(
        "/files/move/", {"selected_folders": [photos.pk], "target": str(theirs.pk)}, follow=True
    )
    assert "is not one of the available choices" in page_text(response)
    photos.refresh_from_db()
    assert photos.parent is None


def test_an_editor_cannot_move_a_folder_into_another_owners_tree(
    alice: User, bob: User, bob_client: Client, make_folder: MakeFolder
):
    shared = make_folder(alice, "Shared")
    inside = make_folder(alice, "Inside", parent=shared)
    grants.share(shared, bob, "editor")
    own = make_folder(bob, "Bob's")
    response = bob_client.post(
        "/files/move/", {"selected_folders": [inside.pk], "target": str(own.pk)}, follow=True
    )
    assert "only to a folder inside the folder shared with you" in page_text(response)
    inside.refresh_from_db()
    assert inside.parent == shared


@pytest.fixture
def picked(alice: User, make_file: MakeFile, make_folder: MakeFolder) -> dict[str, object]:
    """alice's Projects/ holding plan.txt, Drafts/ (with draft.txt) and other.txt."""
    projects = make_folder(alice, "Projects")
    drafts = make_folder(alice, "Drafts", parent=projects)
    return {
        "projects": projects,
        "drafts": drafts,
        "plan": make_file(alice, "plan.txt", b"plan", folder=projects),
        "draft": make_file(alice, "draft.txt", b"draft", folder=drafts),
        "other": make_file(alice, "other.txt", b"other", folder=projects),
    }


def test_it_zips_a_selection_named_from_where_it_was(
    alice_client: Client, picked: dict[str, object]
):
    plan, drafts = picked["plan"], picked["drafts"]
    assert isinstance(plan, UploadedFile) and isinstance(drafts, Folder)
    response = alice_client.get(
        "/files/download/", {"selected": [plan.pk], "selected_folders": [drafts.pk]}
    )
    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="alice-selection.zip"'
    assert zip_names(response) == ["Drafts/", "Drafts/draft.txt", "plan.txt"]
    event = DownloadEvent.objects.get()
    assert (event.files_in_zip, event.owner_id, event.folder) == (2, plan.owner_id, None)


def test_a_selection_zip_of_a_share_is_the_readers(
    alice: User, bob: User, bob_client: Client, picked: dict[str, object]
):
    projects, plan = picked["projects"], picked["plan"]
    assert isinstance(projects, Folder) and isinstance(plan, UploadedFile)
    grants.share(projects, bob)
    response = bob_client.get("/files/download/", {"selected": [plan.pk]})
    assert zip_names(response) == ["plan.txt"]


@pytest.mark.parametrize(
    "query",
    [
        {"selected": ["not-a-uuid"]},
        {"selected_folders": ["00000000-0000-0000-0000-000000000000"]},
    ],
    ids=["malformed", "unknown"],
)
def test_it_answers_404_for_a_bad_selection(alice_client: Client, query: dict[str, list[str]]):
    assert alice_client.get("/files/download/", query).status_code == 404


def test_a_stranger_cannot_zip_someone_elses_selection(
    charlie: User, charlie_client: Client, make_file: MakeFile, picked: dict[str, object]
):
    plan = picked["plan"]
    assert isinstance(plan, UploadedFile)
    mine = make_file(charlie, "mine.txt")
    response = charlie_client.get("/files/download/", {"selected": [mine.pk, plan.pk]})
    assert response.status_code == 404
    assert not DownloadEvent.objects.exists()


def test_every_row_has_its_actions_as_links(alice_client: Client, picked: dict[str, object]):
    projects, plan, drafts = picked["projects"], picked["plan"], picked["drafts"]
    assert isinstance(projects, Folder) and isinstance(plan, UploadedFile)
    assert isinstance(drafts, Folder)
    html = alice_client.get(f"/files/folders/{projects.pk}/").content.decode()
    assert html.count('class="row-menu"') == 3  # Drafts, plan.txt, other.txt
    assert "Actions for plan.txt" in html and "Actions for Drafts" in html
    for href in (
        f"/files/{plan.pk}/download/",
        f"/files/{plan.pk}/#rename",
        f"/files/{plan.pk}/#move",
        f"/files/{plan.pk}/sharing/",
        f"/files/{plan.pk}/#versions",
        f"/files/{plan.pk}/delete/",
        f"/files/folders/{drafts.pk}/download/",
        f"/files/folders/{drafts.pk}/rename/",
        f"/files/folders/{drafts.pk}/move/",
        f"/files/folders/{drafts.pk}/sharing/",
        f"/files/folders/{drafts.pk}/delete/",
    ):
        assert f'href="{href}"' in html, href
    assert 'name="selected_folders" value="' + str(drafts.pk) in html


def test_a_viewer_is_offered_reading_only(
    alice: User, bob: User, bob_client: Client, picked: dict[str, object]
):
    projects, plan = picked["projects"], picked["plan"]
    assert isinstance(projects, Folder) and isinstance(plan, UploadedFile)
    grants.share(projects, bob)
    html = bob_client.get(f"/files/folders/{projects.pk}/").content.decode()
    assert f'href="/files/{plan.pk}/download/"' in html
    assert f'href="/files/{plan.pk}/#versions"' in html
    for absent in ("data-action=", "#rename", "/delete/", "/sharing/", 'id="move-form"'):
        assert absent not in html, absent
