"""/files/folders/<uuid>/download/, /files/download/ and /s/<token>/zip/: folders as one ZIP."""

from __future__ import annotations

import io
import zipfile
import zlib
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from accounts.models import User
from files.models import DownloadEvent, Folder, Share, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder


@pytest.fixture
def projects(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> Folder:
    """alice's Projects/: a file, an empty folder, and a folder of awkward names."""
    projects = make_folder(alice, "Projects")
    make_file(alice, "plan.txt", b"the plan", folder=projects)
    make_folder(alice, "Empty", parent=projects)
    odd = make_folder(alice, "Ünïcode ✓ & spaces", parent=projects)
    make_file(alice, "résumé 東京 (1).txt", b"awkward", folder=odd)
    make_file(alice, "..dots..", b"dots", folder=odd)
    return projects


def url(folder: Folder) -> str:
    return f"/files/folders/{folder.pk}/download/"


def body(response: Any) -> bytes:
    return b"".join(response.streaming_content)


def names_in(data: bytes) -> list[str]:
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        assert opened.testzip() is None
        return opened.namelist()


def test_it_sends_the_folder_and_everything_below_it(
    alice_client: Client, projects: Folder
) -> None:
    response = alice_client.get(url(projects))

    assert response.status_code == 200
    data = body(response)
    assert response["Content-Type"] == "application/zip"
    assert int(response["Content-Length"]) == len(data)
    assert response["Content-Disposition"] == 'attachment; filename="Projects.zip"'
    assert response["Accept-Ranges"] == "bytes"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert names_in(data) == [
        "Projects/",
        "Projects/Empty/",
        "Projects/plan.txt",
        "Projects/Ünïcode ✓ & spaces/",
        "Projects/Ünïcode ✓ & spaces/..dots..",
        "Projects/Ünïcode ✓ & spaces/résumé 東京 (1).txt",
    ]
    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        assert opened.read("Projects/Ünïcode ✓ & spaces/résumé 東京 (1).txt") == b"awkward"


def test_it_gives_the_same_bytes_every_time(alice_client: Client, projects: Folder) -> None:
    first, second = alice_client.get(url(projects)), alice_client.get(url(projects))

    assert body(first) == body(second)
    assert first["ETag"] == second["ETag"]


def test_it_answers_a_range_with_the_slice_of_the_whole(
    alice_client: Client, projects: Folder
) -> None:
    whole = alice_client.get(url(projects))
    data = body(whole)

    part = alice_client.get(url(projects), HTTP_RANGE="bytes=100-299", HTTP_IF_RANGE=whole["ETag"])

    assert part.status_code == 206
    assert part["Content-Range"] == f"bytes 100-299/{len(data)}"
    assert part["Content-Length"] == "200"
    assert body(part) == data[100:300]


def test_a_change_gives_a_new_etag_and_if_range_then_sends_the_whole(
    alice: User, alice_client: Client, projects: Folder, make_file: MakeFile
) -> None:
    before = alice_client.get(url(projects))
    make_file(alice, "new.txt", b"new", folder=projects)

    after = alice_client.get(url(projects), HTTP_RANGE="bytes=0-9", HTTP_IF_RANGE=before["ETag"])

    assert after.status_code == 200
    assert after["ETag"] != before["ETag"]
    assert "Projects/new.txt" in names_in(body(after))


def test_it_refuses_a_range_past_the_end(alice_client: Client, projects: Folder) -> None:
    size = int(alice_client.get(url(projects))["Content-Length"])

    response = alice_client.get(url(projects), HTTP_RANGE=f"bytes={size}-")

    assert response.status_code == 416
    assert response["Content-Range"] == f"bytes */{size}"


def test_it_writes_one_audit_row_with_the_number_of_files(
    alice: User, alice_client: Client, projects: Folder
) -> None:
    body(alice_client.get(url(projects)))

    [event] = DownloadEvent.objects.all()
    assert (event.folder, event.files_in_zip, event.file_name) == (projects, 3, "Projects.zip")
    assert (event.user, event.owner_id, event.file) == (alice, alice.pk, None)


def test_head_sends_the_size_and_writes_no_audit_row(
    alice_client: Client, projects: Folder
) -> None:
    size = int(alice_client.get(url(projects))["Content-Length"])
    DownloadEvent.objects.all().delete()

    response = alice_client.head(url(projects))

    assert response.status_code == 200
    assert int(response["Content-Length"]) == size
    assert not DownloadEvent.objects.exists()


def test_it_runs_a_fixed_number_of_queries_and_none_while_streaming(
    alice: User, alice_client: Client, projects: Folder, make_file: MakeFile
) -> None:
    with CaptureQueriesContext(connection) as before:
        response = alice_client.get(url(projects))
    with CaptureQueriesContext(connection) as streaming:
        body(response)
    for number in range(5):
        make_file(alice, f"more {number}.txt", b"x", folder=projects)
    with CaptureQueriesContext(connection) as more:
        body(alice_client.get(url(projects)))

    assert len(streaming) == 0
    assert len(more) == len(before)


def test_a_viewer_gets_the_shared_folder(bob: User, projects: Folder) -> None:
    grants.share(projects, bob)
    client = Client()
    client.force_login(bob)

    response = client.get(url(projects))

    assert response.status_code == 200
    assert "Projects/plan.txt" in names_in(body(response))


def test_a_viewer_of_a_subfolder_gets_only_that_subfolder(bob: User, projects: Folder) -> None:
    odd = projects.children.get(name__startswith="Ü")
    grants.share(odd, bob)
    client = Client()
    client.force_login(bob)

    assert client.get(url(projects)).status_code == 404
    names = names_in(body(client.get(url(odd))))
    assert names == ["Ünïcode ✓ & spaces/", "Ünïcode ✓ & spaces/..dots..",
                     "Ünïcode ✓ & spaces/résumé 東京 (1).txt"]  # fmt: skip


def test_it_hides_the_folder_from_a_stranger(charlie_client: Client, projects: Folder) -> None:
    assert charlie_client.get(url(projects)).status_code == 404
    assert not DownloadEvent.objects.exists()


def test_staff_may_download_it(staff: User, projects: Folder) -> None:
    client = Client()
    client.force_login(staff)

    assert client.get(url(projects)).status_code == 200


def test_it_sends_anonymous_visitors_to_log_in(client: Client, projects: Folder) -> None:
    response = client.get(url(projects))

    assert response.status_code == 302
    assert "/accounts/login/" in response["Location"]


def test_it_handles_an_unknown_folder(alice_client: Client) -> None:
    unknown = "/files/folders/00000000-0000-0000-0000-000000000000/download/"
    assert alice_client.get(unknown).status_code == 404


def test_it_rejects_post(alice_client: Client, projects: Folder) -> None:
    assert alice_client.post(url(projects)).status_code == 405


def test_the_top_level_sends_the_whole_account_and_nothing_of_others(
    alice: User,
    alice_client: Client,
    projects: Folder,
    bob: User,
    make_file: MakeFile,
    make_folder: MakeFolder,
) -> None:
    make_file(bob, "bobs.txt", b"bob's")
    grants.share(make_folder(bob, "Bob's"), alice, Share.Role.VIEWER)

    response = alice_client.get("/files/download/")

    assert response.status_code == 200
    assert response["Content-Disposition"] == 'attachment; filename="alice.zip"'
    names = names_in(body(response))
    assert "Projects/plan.txt" in names
    assert not [name for name in names if "bob" in name.lower()]


def test_a_public_folder_link_downloads_all(client: Client, projects: Folder) -> None:
    link, token = grants.create_link(projects)

    response = client.get(f"/s/{token}/zip/")

    assert response.status_code == 200
    assert "Projects/plan.txt" in names_in(body(response))
    [event] = DownloadEvent.objects.all()
    assert (event.link, event.user, event.files_in_zip) == (link, None, 3)


def test_a_public_link_counts_one_download_per_zip(client: Client, projects: Folder) -> None:
    link, token = grants.create_link(projects, download_limit=1)

    assert client.get(f"/s/{token}/zip/").status_code == 200
    assert client.get(f"/s/{token}/zip/").status_code == 410


def test_a_file_link_has_no_zip(client: Client, alice: User, make_file: MakeFile) -> None:
    upload: UploadedFile = make_file(alice, "one.txt", b"one")
    _, token = grants.create_link(upload)

    assert client.get(f"/s/{token}/zip/").status_code == 404


def test_folder_pages_offer_the_zip(alice_client: Client, bob: User, projects: Folder) -> None:
    grants.share(projects, bob)
    viewer = Client()
    viewer.force_login(bob)

    assert url(projects) in viewer.get(f"/files/folders/{projects.pk}/").content.decode()
    assert "/files/download/" in alice_client.get("/files/").content.decode()


def test_a_folder_link_page_offers_download_all(client: Client, projects: Folder) -> None:
    _, token = grants.create_link(projects)

    assert f"/s/{token}/zip/" in client.get(f"/s/{token}/").content.decode()


def test_a_file_without_a_crc32_gets_it_read_once_and_remembered(
    alice_client: Client, projects: Folder
) -> None:
    plan = UploadedFile.objects.get(name="plan.txt")
    UploadedFile.objects.filter(pk=plan.pk).update(crc32=None)

    data = body(alice_client.get(url(projects)))

    with zipfile.ZipFile(io.BytesIO(data)) as opened:
        assert opened.read("Projects/plan.txt") == b"the plan"  # checks the CRC too
    plan.refresh_from_db()
    assert plan.crc32 == zlib.crc32(b"the plan")


def test_a_zip_leaves_out_what_the_scanner_has_not_cleared(
    alice: User, bob: User, make_folder: MakeFolder, make_file: MakeFile
) -> None:
    from files.models import ScanStatus

    shared = make_folder(alice, "Shared")
    clean = make_file(alice, "clean.txt", b"fine", folder=shared)
    pending = make_file(alice, "pending.txt", b"unchecked", folder=shared)
    infected = make_file(alice, "infected.txt", b"bad", folder=shared)
    UploadedFile.objects.filter(pk=pending.pk).update(scan_status=ScanStatus.PENDING)
    UploadedFile.objects.filter(pk=infected.pk).update(scan_status=ScanStatus.INFECTED)
    grants.share(shared, bob)

    def names(user: User) -> list[str]:
        client = Client()
        client.force_login(user)
        response = client.get(f"/files/folders/{shared.pk}/download/")
        assert response.status_code == 200
        with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
            return sorted(archive.namelist())

    assert clean.name == "clean.txt"
    assert names(alice) == ["Shared/", "Shared/clean.txt", "Shared/pending.txt"]
    assert names(bob) == ["Shared/", "Shared/clean.txt"]
