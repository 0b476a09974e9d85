"""/s/<token>/ for a file-drop link: anonymous uploads into a folder without seeing it."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from accounts.models import User
from files.models import Drop, Folder, Link, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.utils import stored_paths


@pytest.fixture
def inbox(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> Folder:
    inbox = make_folder(alice, "Inbox")
    make_file(alice, "already-here.txt", folder=inbox)
    return inbox


@pytest.fixture
def token(inbox: Folder) -> str:
    _, token = grants.create_link(inbox, kind=Link.Kind.DROP, label="Send me your photos")
    return token


def test_it_shows_a_form_but_not_the_folder(client: Client, token: str) -> None:
    response = client.get(f"/s/{token}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert "Send me your photos" in html
    assert 'enctype="multipart/form-data"' in html
    assert 'name="dropped_by"' in html
    assert "already-here.txt" not in html
    assert response["Referrer-Policy"] == "no-referrer"


def test_it_shows_nothing_of_the_owners_space_nor_name(
    client: Client, token: str, alice: User
) -> None:
    alice.quota = 10_000
    alice.save()
    html = client.get(f"/s/{token}/").content.decode()
    assert 'id="quota-meter"' not in html
    assert "alice" not in html
    assert "Inbox" not in html


def test_it_stores_a_drop_for_the_owner_and_notes_who(
    client: Client, token: str, inbox: Folder, alice: User
) -> None:
    response = client.post(
        f"/s/{token}/drop/",
        {"file": SimpleUploadedFile("photo.jpg", b"not really"), "dropped_by": "Dana"},
        REMOTE_ADDR="198.51.100.4",
    )
    assert response.status_code == 302
    stored = UploadedFile.objects.get(name="photo.jpg")
    assert (stored.owner, stored.folder) == (alice, inbox)
    drop = Drop.objects.get()
    assert (drop.file, drop.dropped_by, drop.ip) == (stored, "Dana", "198.51.100.4")


def test_the_owner_sees_who_dropped_what(
    client: Client, alice_client: Client, token: str, inbox: Folder
) -> None:
    client.post(
        f"/s/{token}/drop/",
        {"file": SimpleUploadedFile("photo.jpg", b"x"), "dropped_by": "Dana"},
        REMOTE_ADDR="198.51.100.4",
    )
    html = alice_client.get(f"/files/folders/{inbox.pk}/sharing/").content.decode()
    assert "photo.jpg" in html
    assert "from Dana, 198.51.100.4" in html


def test_the_uploader_script_gets_json(client: Client, token: str) -> None:
    response = client.post(
        f"/s/{token}/drop/",
        {"file": SimpleUploadedFile("a.txt", b"abc")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    assert response.json() == {"files": [{"name": "a.txt", "size": 3}]}


def test_a_full_quota_refuses_clearly_and_leaves_nothing(
    client: Client, token: str, alice: User
) -> None:
    alice.quota = 20  # "already-here.txt" holds 11 bytes
    alice.save()
    before = stored_paths()
    response = client.post(
        f"/s/{token}/drop/",
        {"file": SimpleUploadedFile("big.bin", b"x" * 10)},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 400
    [error] = response.json()["errors"]
    assert error["code"] == "over_quota"
    assert error["message"] == "This drop box cannot take more files right now."
    assert stored_paths() == before
    assert not Drop.objects.exists()
    page = client.post(f"/s/{token}/drop/", {"file": SimpleUploadedFile("big.bin", b"x" * 10)})
    assert page.status_code == 200
    assert "This drop box cannot take more files right now." in page.content.decode()
    assert "Not enough space" not in page.content.decode()


def test_a_download_link_takes_no_drops(client: Client, inbox: Folder) -> None:
    _, token = grants.create_link(inbox)
    response = client.post(f"/s/{token}/drop/", {"file": SimpleUploadedFile("a.txt", b"a")})
    assert response.status_code == 404
    assert not UploadedFile.objects.filter(name="a.txt").exists()


def test_a_drop_link_shows_nothing_to_download(client: Client, token: str) -> None:
    here = UploadedFile.objects.get(name="already-here.txt")
    assert client.get(f"/s/{token}/download/{here.pk}/").status_code == 404


def test_a_revoked_drop_link_takes_nothing(client: Client, inbox: Folder) -> None:
    link, token = grants.create_link(inbox, kind=Link.Kind.DROP)
    grants.revoke(Link.objects.filter(pk=link.pk))
    response = client.post(f"/s/{token}/drop/", {"file": SimpleUploadedFile("a.txt", b"a")})
    assert response.status_code == 410
    assert not UploadedFile.objects.filter(name="a.txt").exists()


def test_a_file_takes_no_drop_link(alice: User, make_file: MakeFile) -> None:
    with pytest.raises(ValidationError):
        grants.create_link(make_file(alice), kind=Link.Kind.DROP)


def test_a_drop_of_a_taken_name_is_kept_as_a_copy_the_visitor_is_not_told_of(
    client: Client, token: str, inbox: Folder
) -> None:
    # The visitor sees what they sent: the numbered name would tell them that
    # the folder they cannot see holds a file of that name.
    response = client.post(
        f"/s/{token}/drop/",
        {"file": SimpleUploadedFile("Already-Here.txt", b"mine")},
        HTTP_ACCEPT="application/json",
    )
    assert response.status_code == 201
    assert response.json() == {"files": [{"name": "Already-Here.txt", "size": 4}]}
    assert sorted(inbox.files.values_list("name", flat=True)) == [
        "Already-Here (1).txt",
        "already-here.txt",
    ]
    assert Drop.objects.get().file.name == "Already-Here (1).txt"


def test_a_plain_form_drop_of_a_taken_name_says_thank_you_only(
    client: Client, token: str, inbox: Folder
) -> None:
    response = client.post(
        f"/s/{token}/drop/",
        {"file": SimpleUploadedFile("already-here.txt", b"mine")},
        follow=True,
    )
    assert [str(m) for m in response.context["messages"]] == ["Thank you: 1 file(s) delivered."]
    assert inbox.files.count() == 2
