"""What people see when a name is taken: uploads say the copy's name, renames and moves refuse."""

from __future__ import annotations

from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from files.models import Folder, Share, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder


def texts(response: Any) -> list[str]:
    return [str(m) for m in response.context["messages"]]


def test_the_form_upload_says_under_which_name_it_kept_a_taken_one(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "report.pdf")
    response = alice_client.post(
        "/files/upload/", {"file": SimpleUploadedFile("report.pdf", b"new")}, follow=True
    )
    assert texts(response) == [
        "Uploaded report (1).pdf.",
        "report.pdf was already taken there: stored as report (1).pdf.",
    ]
    assert sorted(UploadedFile.objects.values_list("name", flat=True)) == [
        "report (1).pdf",
        "report.pdf",
    ]


def test_the_json_answer_names_the_stored_file_and_what_it_was_sent_as(
    alice: User, alice_client: Client, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    docs = make_folder(alice, "Docs")
    make_file(alice, "data.csv", folder=docs)
    response = alice_client.post(
        f"/files/folders/{docs.pk}/upload/",
        {"file": SimpleUploadedFile("DATA.csv", b"1,2")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    [answer] = response.json()["files"]
    assert (answer["name"], answer["sent_name"]) == ("DATA (1).csv", "DATA.csv")


def test_the_json_answer_of_a_free_name_has_no_sent_name(alice_client: Client) -> None:
    response = alice_client.post(
        "/files/upload/",
        {"file": SimpleUploadedFile("fresh.txt", b"x")},
        HTTP_ACCEPT="application/json",
    )
    [answer] = response.json()["files"]
    assert (answer["name"], answer["sent_name"]) == ("fresh.txt", None)


def test_a_dropped_directory_named_like_a_file_is_a_clear_error(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "holiday")
    response = alice_client.post(
        "/files/upload/",
        {"file": SimpleUploadedFile("day1.jpg", b"x"), "directory": "holiday/day 1"},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    assert response.json()["errors"] == [
        {
            "field": "file",
            "message": "A file named “holiday” already exists in the top level.",
            "code": "name_taken",
        }
    ]


def test_an_editor_uploading_a_taken_name_into_a_share_gets_a_copy(
    alice: User, bob_client: Client, make_file: MakeFile, make_folder: MakeFolder
) -> None:
    shared = make_folder(alice, "Shared")
    grants.share(shared, User.objects.get(username="bob"), Share.Role.EDITOR)
    make_file(alice, "plan.txt", folder=shared)
    response = bob_client.post(
        f"/files/folders/{shared.pk}/upload/",
        {"file": SimpleUploadedFile("plan.txt", b"bob's")},
        HTTP_ACCEPT="application/json",
    )
    assert response.json()["files"][0]["name"] == "plan (1).txt"
    assert shared.files.get(name="plan (1).txt").owner == alice


# Rename


def test_renaming_onto_a_taken_name_is_a_form_error(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "taken.txt")
    mine = make_file(alice, "mine.txt")
    response = alice_client.post(f"/files/{mine.pk}/", {"name": "Taken.txt"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["A file named “Taken.txt” already exists in the top level."]
    }
    # The page still names the file as it is.
    assert response.context["upload"].name == "mine.txt"
    mine.refresh_from_db()
    assert mine.name == "mine.txt"


def test_renaming_onto_a_free_name_still_works(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    mine = make_file(alice, "mine.txt")
    response = alice_client.post(f"/files/{mine.pk}/", {"name": "Mine.TXT"}, follow=True)
    assert texts(response) == ["Renamed to Mine.TXT."]
    mine.refresh_from_db()
    assert mine.name == "Mine.TXT"


# Moves


@pytest.fixture
def docs(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> Folder:
    docs = make_folder(alice, "Docs")
    make_file(alice, "a.txt", folder=docs)
    return docs


def test_moving_one_file_onto_a_taken_name_says_so(
    alice: User, alice_client: Client, docs: Folder, make_file: MakeFile
) -> None:
    loose = make_file(alice, "a.txt")
    response = alice_client.post(
        "/files/move/",
        {"selected": [loose.pk], "target": str(docs.pk), "next": f"/files/{loose.pk}/"},
        follow=True,
    )
    assert response.redirect_chain == [(f"/files/{loose.pk}/", 302)]
    assert texts(response) == ["Nothing was moved: “Docs” already holds “a.txt”."]
    loose.refresh_from_db()
    assert loose.folder is None


def test_a_selection_with_clashes_is_refused_whole_and_names_them(
    alice: User, alice_client: Client, docs: Folder, make_file: MakeFile
) -> None:
    make_file(alice, "B.txt", folder=docs)
    chosen = [make_file(alice, n) for n in ("a.txt", "b.txt", "c.txt")]
    response = alice_client.post(
        "/files/move/",
        {"selected": [f.pk for f in chosen], "target": str(docs.pk), "next": "/files/"},
        follow=True,
    )
    assert texts(response) == ["Nothing was moved: “Docs” already holds “a.txt”, “B.txt”."]
    assert UploadedFile.objects.filter(folder=None).count() == 3


def test_an_editor_moving_onto_a_taken_name_in_the_share_is_refused(
    alice: User, bob: User, bob_client: Client, make_folder: MakeFolder, make_file: MakeFile
) -> None:
    shared = make_folder(alice, "Shared")
    a, b = make_folder(alice, "A", parent=shared), make_folder(alice, "B", parent=shared)
    grants.share(shared, bob, Share.Role.EDITOR)
    make_file(alice, "same.txt", folder=b)
    moving = make_file(alice, "same.txt", folder=a)
    response = bob_client.post(
        "/files/move/", {"selected": [moving.pk], "target": str(b.pk)}, follow=True
    )
    assert texts(response) == ["Nothing was moved: “B” already holds “same.txt”."]
    moving.refresh_from_db()
    assert moving.folder == a


# Folders meet files


def test_creating_a_folder_named_like_a_file_is_a_form_error(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    make_file(alice, "Notes")
    response = alice_client.post("/files/folders/new/", {"name": "notes"})
    assert response.status_code == 200
    assert response.context["form"].errors == {
        "name": ["A file named “notes” already exists in the top level."]
    }
    assert not Folder.objects.exists()
