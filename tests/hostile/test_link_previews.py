"""Threat: a link's preview route used to reach what the link does not show.

/s/<token>/preview/<file>/ sends bytes inline. Whatever id is put in it, it
sends only a file the link shows, only while the link is open and unlocked,
only bytes the scanner has cleared, only types a browser may render on our
origin, and never on a link that counts downloads.
"""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from files.history import trash
from files.models import Folder, Link, ScanStatus, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.utils import image_bytes


@pytest.fixture(autouse=True)
def _empty_cache(db: None) -> None:
    cache.clear()


@pytest.fixture
def albums(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> dict[str, UploadedFile]:
    """alice's Shared/in.png (linked), Private/out.png (not), and her bob's photo beside."""
    shared = make_folder(alice, "Shared")
    private = make_folder(alice, "Private")
    return {
        "in": make_file(alice, "in.png", image_bytes(), folder=shared),
        "out": make_file(alice, "out.png", image_bytes(), folder=private),
        "top": make_file(alice, "top.png", image_bytes()),
    }


def preview(client: Client, token: str, upload: UploadedFile) -> int:
    return client.get(f"/s/{token}/preview/{upload.pk}/").status_code


def shared_folder(albums: dict[str, UploadedFile]) -> Folder:
    folder = albums["in"].folder
    assert folder is not None
    return folder


def test_a_folder_link_previews_nothing_outside_its_folder(
    client: Client, albums: dict[str, UploadedFile]
) -> None:
    _, token = grants.create_link(shared_folder(albums))
    assert preview(client, token, albums["in"]) == 200
    assert preview(client, token, albums["out"]) == 404
    assert preview(client, token, albums["top"]) == 404
    assert client.get(f"/s/{token}/file/{albums['out'].pk}/").status_code == 404


def test_a_file_link_previews_no_other_file(
    client: Client, albums: dict[str, UploadedFile], bob: User, make_file: MakeFile
) -> None:
    _, token = grants.create_link(albums["top"])
    bobs = make_file(bob, "bob.png", image_bytes())
    assert preview(client, token, albums["top"]) == 200
    for other in (albums["in"], albums["out"], bobs):
        assert preview(client, token, other) == 404
        assert client.get(f"/s/{token}/file/{other.pk}/").status_code == 404


def test_a_trashed_file_is_not_previewed(
    client: Client, alice: User, albums: dict[str, UploadedFile]
) -> None:
    _, token = grants.create_link(shared_folder(albums))
    trash.trash_file(albums["in"], by=alice)
    assert preview(client, token, albums["in"]) == 404


def test_unlocking_one_link_previews_nothing_through_another(
    client: Client, albums: dict[str, UploadedFile]
) -> None:
    _, open_token = grants.create_link(albums["top"], password="one")
    _, locked_token = grants.create_link(albums["top"], password="two")
    client.post(f"/s/{open_token}/unlock/", {"password": "one"})
    assert preview(client, open_token, albums["top"]) == 200
    assert preview(client, locked_token, albums["top"]) == 403


@pytest.mark.parametrize(
    ("status", "answer"),
    [(ScanStatus.PENDING, 409), (ScanStatus.INFECTED, 403), (ScanStatus.TOO_LARGE, 403)],
)
def test_bytes_the_scanner_withholds_are_never_previewed(
    client: Client, albums: dict[str, UploadedFile], status: str, answer: int
) -> None:
    _, token = grants.create_link(albums["top"])
    UploadedFile.objects.filter(pk=albums["top"].pk).update(scan_status=status)
    response = client.get(f"/s/{token}/preview/{albums['top'].pk}/")
    assert response.status_code == answer  # the link download's answer (files.scanning)
    assert b"PNG" not in response.content
    page = client.get(f"/s/{token}/").content.decode()
    assert "/preview/" not in page


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("page.html", b"<html><script>alert(document.cookie)</script></html>"),
        ("logo.svg", b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>'),
        ("fake.png", b"<html><script>alert(1)</script></html>"),
    ],
)
def test_markup_is_never_sent_inline(
    client: Client, alice: User, make_file: MakeFile, name: str, content: bytes
) -> None:
    upload = make_file(alice, name, content)
    _, token = grants.create_link(upload)
    assert preview(client, token, upload) == 404
    # The page shows it as escaped text at most.
    page = client.get(f"/s/{token}/").content.decode()
    assert "<script>" not in page
    assert "onload=" not in page.replace("onload=&quot;", "")


def test_a_drop_link_previews_nothing(client: Client, albums: dict[str, UploadedFile]) -> None:
    _, token = grants.create_link(shared_folder(albums), kind=Link.Kind.DROP)
    assert preview(client, token, albums["in"]) == 404


def test_a_limited_link_cannot_be_drained_nor_bypassed_by_previews(
    client: Client, albums: dict[str, UploadedFile]
) -> None:
    link, token = grants.create_link(albums["top"], download_limit=1)
    for _ in range(5):
        assert preview(client, token, albums["top"]) == 404
    link.refresh_from_db()
    assert link.downloads == 0
    assert client.get(f"/s/{token}/download/{albums['top'].pk}/").status_code == 200
    assert preview(client, token, albums["top"]) == 410
