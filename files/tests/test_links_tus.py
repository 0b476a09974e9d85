"""/s/<token>/tus/: a drop link's resumable uploads, its link session's own, under its rules."""

from __future__ import annotations

import base64
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.test import Client
from django.utils import timezone

from accounts.models import User
from files.models import Drop, Folder, Link, ResumableUpload, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.utils import stored_paths
from files.uploads import quota, resumable
from files.uploads.tasks import expire_uploads

TUS = {"Tus-Resumable": "1.0.0"}
CHUNK = "application/offset+octet-stream"


def metadata(**values: str) -> str:
    return ",".join(f"{k} {base64.b64encode(v.encode()).decode()}" for k, v in values.items())


def post(client: Client, token: str, length: int, name: str = "photo.jpg", **more: str) -> Any:
    return client.post(
        f"/s/{token}/tus/",
        b"",
        content_type=CHUNK,
        headers={
            **TUS,
            "Upload-Length": str(length),
            "Upload-Metadata": metadata(filename=name, **more),
        },
        REMOTE_ADDR="198.51.100.4",
    )


def create(client: Client, token: str, length: int, name: str = "photo.jpg", **more: str) -> str:
    response = post(client, token, length, name, **more)
    assert response.status_code == 201, response.content
    return str(response["Location"])


def patch(client: Client, location: str, offset: int, data: bytes) -> Any:
    return client.patch(
        location,
        data,
        content_type=CHUNK,
        headers={**TUS, "Upload-Offset": str(offset)},
        REMOTE_ADDR="198.51.100.4",
    )


@pytest.fixture
def inbox(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> Folder:
    inbox = make_folder(alice, "Inbox")
    make_file(alice, "already-here.txt", folder=inbox)  # 11 bytes
    return inbox


@pytest.fixture
def link_and_token(inbox: Folder) -> tuple[Link, str]:
    return grants.create_link(inbox, kind=Link.Kind.DROP)


@pytest.fixture
def token(link_and_token: tuple[Link, str]) -> str:
    return link_and_token[1]


def test_the_drop_page_sends_files_through_tus(client: Client, token: str) -> None:
    html = client.get(f"/s/{token}/").content.decode()
    assert f'data-tus-url="/s/{token}/tus/"' in html
    assert f'data-tus-max-size="{settings.PORTAL_MAX_FILE_SIZE}"' in html


def test_a_visitor_uploads_in_chunks_into_the_links_folder_noting_who(
    client: Client, token: str, inbox: Folder, alice: User
) -> None:
    location = create(client, token, 10, dropped_by="Dana")
    assert location.startswith(f"http://testserver/s/{token}/tus/")
    head = client.head(location, headers=TUS)
    assert (head.status_code, head["Upload-Offset"]) == (200, "0")
    assert head["Cache-Control"] == "no-store"
    assert head["Referrer-Policy"] == "no-referrer"
    assert patch(client, location, 0, b"hello").status_code == 204
    response = patch(client, location, 5, b"world")
    assert response.status_code == 204
    stored = UploadedFile.objects.get(name="photo.jpg")
    assert (stored.owner, stored.folder, stored.uploaded_by) == (alice, inbox, None)
    assert Path(stored.file.path).read_bytes() == b"helloworld"
    drop = Drop.objects.get()
    assert (drop.file, drop.dropped_by, drop.ip) == (stored, "Dana", "198.51.100.4")
    assert not ResumableUpload.objects.exists()
    # The visitor hears what they sent, nothing of the file it became.
    assert response["Portal-File-Name"] == "photo.jpg"
    assert "Portal-File-Id" not in response and "Portal-File-Url" not in response


def test_a_taken_name_is_numbered_and_the_visitor_is_not_told(
    client: Client, token: str, inbox: Folder
) -> None:
    # Never a replace, whatever the metadata asks: a visitor does not overwrite the owner's files.
    location = create(client, token, 4, "already-here.txt", on_conflict="replace")
    response = patch(client, location, 0, b"mine")
    assert response["Portal-File-Name"] == "already-here.txt"
    assert "Portal-Sent-Name" not in response
    assert sorted(inbox.files.values_list("name", flat=True)) == [
        "already-here (1).txt",
        "already-here.txt",
    ]
    assert not UploadedFile.objects.get(name="already-here.txt").versions.exists()


def test_the_owners_quota_is_reserved_at_creation_and_released_at_completion(
    client: Client, token: str, alice: User
) -> None:
    alice.quota = 1000
    alice.save()
    location = create(client, token, 100)
    assert quota.usage(alice).reserved == 100
    assert ResumableUpload.objects.get().owner == alice
    patch(client, location, 0, b"x" * 100)
    usage = quota.usage(alice)
    assert (usage.reserved, usage.used) == (0, 11 + 100)


def test_a_creation_past_the_owners_quota_is_413_worded_for_a_stranger(
    client: Client, token: str, alice: User
) -> None:
    alice.quota = 20  # already-here.txt holds 11 bytes
    alice.save()
    response = post(client, token, 10)
    assert response.status_code == 413
    [error] = response.json()["errors"]
    assert error["code"] == "over_quota"
    assert error["message"] == "This drop box cannot take more files right now."
    assert not ResumableUpload.objects.exists()


@pytest.mark.parametrize("method", ["head", "patch", "delete"])
def test_another_visitor_gets_404(method: str, client: Client, token: str) -> None:
    location = create(client, token, 10)
    other = Client()  # the same link, another link session
    if method == "patch":
        response = patch(other, location, 0, b"12345")
    else:
        response = getattr(other, method)(location, headers=TUS)
    assert response.status_code == 404
    assert ResumableUpload.objects.get().offset == 0
    assert client.head(location, headers=TUS).status_code == 200


def test_the_owner_does_not_reach_a_visitors_upload(
    client: Client, alice_client: Client, token: str
) -> None:
    location = create(client, token, 10)
    upload = ResumableUpload.objects.get()
    assert alice_client.head(location, headers=TUS).status_code == 404
    assert alice_client.head(f"/files/tus/{upload.pk}/", headers=TUS).status_code == 404
    assert alice_client.delete(f"/files/tus/{upload.pk}/", headers=TUS).status_code == 404
    assert ResumableUpload.objects.exists()


def test_a_visitors_upload_is_of_its_link_only(client: Client, token: str, inbox: Folder) -> None:
    location = create(client, token, 10)
    _, other_token = grants.create_link(inbox, kind=Link.Kind.DROP)
    elsewhere = location.replace(token, other_token)
    assert client.head(elsewhere, headers=TUS).status_code == 404


def test_the_visitor_ends_an_upload_and_frees_the_owners_space(
    client: Client, token: str, alice: User
) -> None:
    location = create(client, token, 10)
    patch(client, location, 0, b"12345")
    assert client.delete(location, headers=TUS).status_code == 204
    assert quota.usage(alice).reserved == 0
    assert not list((Path(settings.MEDIA_ROOT) / "tus").iterdir())


CLOSINGS = {
    "revoked": {"revoked": timezone.now()},
    "expired": {"expires": timezone.now()},
}


@pytest.mark.parametrize("closing", CLOSINGS)
def test_a_closed_link_takes_no_new_upload(
    closing: str, client: Client, link_and_token: tuple[Link, str]
) -> None:
    link, token = link_and_token
    Link.objects.filter(pk=link.pk).update(**CLOSINGS[closing])
    assert post(client, token, 10).status_code == 410
    assert not ResumableUpload.objects.exists()


@pytest.mark.parametrize("closing", CLOSINGS)
def test_a_closed_link_stops_its_uploads(
    closing: str, client: Client, link_and_token: tuple[Link, str]
) -> None:
    link, token = link_and_token
    location = create(client, token, 10)
    Link.objects.filter(pk=link.pk).update(**CLOSINGS[closing])
    assert client.head(location, headers=TUS).status_code == 410
    assert patch(client, location, 0, b"12345").status_code == 410
    assert ResumableUpload.objects.get().offset == 0


@pytest.fixture
def expiring_while_writing(
    link_and_token: tuple[Link, str], monkeypatch: pytest.MonkeyPatch
) -> Iterator[None]:
    """The link expires while the last bytes of a PATCH arrive (after the door let it in)."""
    link, _ = link_and_token
    write = resumable.LocalChunks.write

    def write_then_expire(self: resumable.LocalChunks, *args: Any) -> int:
        written = write(self, *args)
        Link.objects.filter(pk=link.pk).update(expires=timezone.now())
        return written

    monkeypatch.setattr(resumable.LocalChunks, "write", write_then_expire)
    yield


def test_a_link_closed_before_the_last_byte_refuses_the_file(
    client: Client, token: str, alice: User, expiring_while_writing: None
) -> None:
    before = stored_paths()
    location = create(client, token, 5)
    response = patch(client, location, 0, b"hello")
    assert response.status_code == 410
    assert response.json()["errors"][0]["code"] == "link_closed"
    assert not UploadedFile.objects.filter(name="photo.jpg").exists()
    assert not Drop.objects.exists()
    assert not ResumableUpload.objects.exists()
    assert quota.usage(alice).reserved == 0
    assert stored_paths() == before  # neither the chunk nor the placed file is left


def test_revoking_the_link_ends_its_uploads_and_frees_the_owners_space(
    client: Client, link_and_token: tuple[Link, str], alice: User
) -> None:
    link, token = link_and_token
    location = create(client, token, 10)
    patch(client, location, 0, b"12345")
    grants.revoke(Link.objects.filter(pk=link.pk))
    assert not ResumableUpload.objects.exists()
    assert quota.usage(alice).reserved == 0
    assert not list((Path(settings.MEDIA_ROOT) / "tus").iterdir())


def test_a_finished_drop_a_dead_worker_left_waits_for_its_visitor(
    client: Client, token: str, inbox: Folder
) -> None:
    location = create(client, token, 5, dropped_by="Dana")
    upload = ResumableUpload.objects.get()
    resumable.chunks_for().write(upload, iter([b"hello"]))
    digests = resumable.ResumableDigests(upload.digest_state)
    digests.update(b"hello")
    ResumableUpload.objects.update(offset=5, digest_state=digests.state)
    # The task does not complete it: the link's rules and Drop row are the link door's.
    assert resumable.stale() == []
    assert expire_uploads.enqueue().return_value == {"expired": 0, "completed": 0}
    # The visitor's client asks where it is, then completes it with an empty PATCH.
    assert client.head(location, headers=TUS)["Upload-Offset"] == "5"
    assert patch(client, location, 5, b"").status_code == 204
    assert Drop.objects.get().file == inbox.files.get(name="photo.jpg")


def test_a_visitor_cannot_pick_another_folder(
    client: Client, token: str, inbox: Folder, alice: User, make_folder: MakeFolder
) -> None:
    private = make_folder(alice, "Private")
    location = create(client, token, 2, folder=str(private.pk))
    patch(client, location, 0, b"hi")
    assert UploadedFile.objects.get(name="photo.jpg").folder == inbox


def test_a_download_link_takes_no_uploads(client: Client, inbox: Folder) -> None:
    _, token = grants.create_link(inbox)
    response = post(client, token, 10)
    assert response.status_code == 404
    assert not ResumableUpload.objects.exists()


def test_the_csrf_token_is_required(token: str, db: None) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.get(f"/s/{token}/")  # the drop page sets the CSRF cookie
    assert post(browser, token, 3).status_code == 403
    csrf = browser.cookies["csrftoken"].value
    headers = {
        **TUS,
        "Upload-Length": "3",
        "Upload-Metadata": metadata(filename="a.txt"),
        "X-CSRFToken": csrf,
        "Origin": "null",  # the page's no-referrer policy makes the browser send this
    }
    response = browser.post(f"/s/{token}/tus/", b"", content_type=CHUNK, headers=headers)
    assert response.status_code == 201
    location = response["Location"]
    assert browser.delete(location, headers=TUS).status_code == 403
    assert browser.delete(location, headers={**TUS, "X-CSRFToken": csrf}).status_code == 204


def test_a_password_link_takes_uploads_once_unlocked(client: Client, inbox: Folder) -> None:
    _, token = grants.create_link(inbox, kind=Link.Kind.DROP, password="pw")
    assert post(client, token, 3).status_code == 403
    client.post(f"/s/{token}/unlock/", {"password": "pw"})
    location = create(client, token, 3)
    assert patch(client, location, 0, b"abc").status_code == 204
