"""The script-driven uploader's side of POST /files/upload/: one file per request, JSON back."""

from __future__ import annotations

import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from pytest_django import Settings

from accounts.models import User
from files.folders import tree
from files.models import Folder, UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import stored_paths
from files.uploads import intake

URL = "/files/upload/"
JSON = {"HTTP_ACCEPT": "application/json"}


def post(client: Client, url: str = URL, **data: object) -> tuple[int, dict]:
    response = client.post(url, data, **JSON)
    assert response["Content-Type"] == "application/json"
    return response.status_code, json.loads(response.content)


def test_it_answers_201_with_the_stored_file(alice: User, alice_client: Client) -> None:
    status, answer = post(alice_client, file=SimpleUploadedFile("notes.txt", b"hello"))
    assert status == 201
    stored = UploadedFile.objects.get()
    assert answer == {
        "files": [
            {
                "id": str(stored.pk),
                "name": "notes.txt",
                "sent_name": None,  # a name taken there: what it was sent as
                "size": 5,
                "content_type": "text/plain",
                "folder": None,
                "url": f"/files/{stored.pk}/",
                "download_url": f"/files/{stored.pk}/download/",
                "replaced": False,
            }
        ]
    }


def test_a_browsers_form_still_gets_a_redirect(alice_client: Client) -> None:
    accept = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
    response = alice_client.post(
        URL, {"file": SimpleUploadedFile("a.txt", b"x")}, HTTP_ACCEPT=accept
    )
    assert response.status_code == 302


def test_too_large_is_413_with_message_and_code(alice_client: Client, settings: Settings) -> None:
    settings.PORTAL_MAX_UPLOAD_SIZE = 3
    status, answer = post(alice_client, file=SimpleUploadedFile("big.bin", b"x" * 4))
    assert status == 413
    assert answer == {
        "errors": [
            {
                "field": "file",
                "message": "big.bin is 4\xa0bytes; the largest file allowed is 3\xa0bytes.",
                "code": "too_large",
            }
        ]
    }
    assert stored_paths() == []


def test_over_quota_and_bad_names_are_400(alice: User, alice_client: Client) -> None:
    alice.quota = 3
    alice.save()
    status, answer = post(alice_client, file=SimpleUploadedFile("a.bin", b"x" * 4))
    assert (status, answer["errors"][0]["code"]) == (400, "over_quota")
    status, answer = post(alice_client, file=SimpleUploadedFile("  ", b"x"))
    assert (status, answer["errors"][0]["code"]) == (400, "bad_name")
    assert not UploadedFile.objects.exists()


def test_it_uploads_into_the_folder_in_the_url(alice: User, alice_client: Client) -> None:
    photos = tree.create_folder(alice, None, "Photos")
    status, answer = post(
        alice_client, f"/files/folders/{photos.pk}/upload/", file=SimpleUploadedFile("a.txt", b"x")
    )
    assert status == 201
    assert answer["files"][0]["folder"] == str(photos.pk)
    assert UploadedFile.objects.get().folder == photos


def test_a_dropped_folder_recreates_its_tree(alice: User, alice_client: Client) -> None:
    photos = tree.create_folder(alice, None, "Photos")
    url = f"/files/folders/{photos.pk}/upload/"
    for name, directory in [("a.jpg", "Trip/Day 1"), ("b.jpg", "Trip/Day 1"), ("c.jpg", "Trip")]:
        status, _ = post(
            alice_client, url, file=SimpleUploadedFile(name, b"x"), directory=directory
        )
        assert status == 201
    trip = Folder.objects.get(name="Trip")
    day = Folder.objects.get(name="Day 1")
    assert (trip.parent, day.parent) == (photos, trip)
    assert sorted(f.name for f in day.files.all()) == ["a.jpg", "b.jpg"]
    assert [f.name for f in trip.files.all()] == ["c.jpg"]


def test_a_refused_file_of_a_dropped_folder_leaves_no_empty_folder(
    alice: User, alice_client: Client, monkeypatch: pytest.MonkeyPatch
) -> None:
    original = intake.check_quota
    calls: list[int] = []

    def fails_under_the_lock(owner: User, incoming_bytes: int, make_room: bool = True) -> None:
        calls.append(incoming_bytes)
        if len(calls) == 2:  # the form's check passed; the locked one does not
            raise intake.ValidationError("Not enough space.", code="over_quota")
        original(owner, incoming_bytes, make_room=make_room)

    monkeypatch.setattr(intake, "check_quota", fails_under_the_lock)
    status, _ = post(alice_client, file=SimpleUploadedFile("a.txt", b"x"), directory="new/deep")
    assert status == 400
    assert not Folder.objects.exists()


def test_it_refuses_a_folder_of_someone_else(
    bob: User, alice_client: Client, settings: Settings
) -> None:
    theirs = tree.create_folder(bob, None, "theirs")
    response = alice_client.post(
        f"/files/folders/{theirs.pk}/upload/", {"file": SimpleUploadedFile("a.txt", b"x")}, **JSON
    )
    assert response.status_code == 404
    assert not UploadedFile.objects.exists()


def test_a_quota_lost_to_a_concurrent_upload_is_a_form_error_not_a_500(
    alice: User, alice_client: Client, make_file: MakeFile, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 8's HTTP 500: the form's early check passes, then another upload
    takes the space before this one gets the lock, and the locked re-check fails."""
    alice.quota = 10
    alice.save()
    original = intake.store_uploads

    def another_upload_wins_first(*args: object, **kwargs: object) -> list[UploadedFile]:
        monkeypatch.setattr(intake, "store_uploads", original)
        make_file(alice, "winner.bin", b"w" * 8)
        return original(*args, **kwargs)

    monkeypatch.setattr(intake, "store_uploads", another_upload_wins_first)
    response = alice_client.post(URL, {"file": SimpleUploadedFile("loser.bin", b"l" * 5)})
    assert response.status_code == 200
    assert [e.code for e in response.context["form"].errors.as_data()["file"]] == ["over_quota"]
    assert "Not enough space" in response.content.decode()

    monkeypatch.setattr(intake, "store_uploads", another_upload_wins_first)
    alice.files.filter(name="winner.bin").delete()
    status, answer = post(alice_client, file=SimpleUploadedFile("loser.bin", b"l" * 5))
    assert (status, answer["errors"][0]["code"]) == (400, "over_quota")
    assert [f.name for f in UploadedFile.objects.all()] == ["winner.bin"]


def test_a_name_a_browser_escaped_is_stored_as_meant(alice_client: Client) -> None:
    """Chromium sends `say "hi".txt` as filename="say %22hi%22.txt"."""
    status, answer = post(alice_client, file=SimpleUploadedFile("say %22hi%22.txt", b"x"))
    assert status == 201
    assert answer["files"][0]["name"] == 'say "hi".txt'
    stored = UploadedFile.objects.get()
    response = alice_client.get(f"/files/{stored.pk}/download/")
    assert response["Content-Disposition"] == (
        "attachment; filename=\"say_hi_.txt\"; filename*=utf-8''say%20%22hi%22.txt"
    )
