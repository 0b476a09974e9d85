"""Public link pages preview a file as its owner's page does, through the link's own routes."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.test import Client

from accounts.models import User
from files.models import DownloadEvent, Folder, Link, UploadedFile
from files.sharing import grants
from files.tests.conftest import MakeFile, MakeFolder
from files.tests.utils import body, image_bytes


@pytest.fixture(autouse=True)
def _empty_cache(db: None) -> None:
    cache.clear()  # password-guess counters


@pytest.fixture
def photo(alice: User, make_file: MakeFile) -> UploadedFile:
    return make_file(alice, "beach.png", image_bytes())


@pytest.fixture
def holiday(alice: User, make_folder: MakeFolder, make_file: MakeFile) -> Folder:
    """alice's Holiday/ with Day 1/beach.png and notes.txt."""
    holiday = make_folder(alice, "Holiday")
    day1 = make_folder(alice, "Day 1", parent=holiday)
    make_file(alice, "beach.png", image_bytes(), folder=day1)
    make_file(alice, "notes.txt", b"sand <b>and</b> sea\n", folder=holiday)
    return holiday


def test_a_file_links_page_shows_the_image_from_the_links_preview(
    client: Client, photo: UploadedFile
) -> None:
    _, token = grants.create_link(photo)
    html = client.get(f"/s/{token}/").content.decode()
    preview = f"/s/{token}/preview/{photo.pk}/"
    assert f'<img src="{preview}" alt="Preview of beach.png">' in html
    # Nothing of the owner's routes: the visitor has no account.
    assert f"/files/{photo.pk}/" not in html
    response = client.get(preview)
    assert response.status_code == 200
    assert body(response) == photo.file.open("rb").read()
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"].startswith("inline;")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "no-referrer"


def test_a_preview_uses_no_download_and_leaves_no_trail(
    client: Client, photo: UploadedFile
) -> None:
    link, token = grants.create_link(photo)
    for _ in range(3):
        assert client.get(f"/s/{token}/preview/{photo.pk}/").status_code == 200
    link.refresh_from_db()
    assert link.downloads == 0
    assert not DownloadEvent.objects.exists()


def test_a_folder_links_files_have_pages_with_previews(client: Client, holiday: Folder) -> None:
    _, token = grants.create_link(holiday)
    notes = UploadedFile.objects.get(name="notes.txt")
    beach = UploadedFile.objects.get(name="beach.png")
    listing = client.get(f"/s/{token}/").content.decode()
    assert f'href="/s/{token}/file/{notes.pk}/"' in listing
    page = client.get(f"/s/{token}/file/{notes.pk}/").content.decode()
    # Text is shown escaped by our template, never as markup.
    assert "sand &lt;b&gt;and&lt;/b&gt; sea" in page
    assert f'href="/s/{token}/download/{notes.pk}/"' in page
    # A file in a subfolder leads back to that subfolder, through the link.
    page = client.get(f"/s/{token}/file/{beach.pk}/").content.decode()
    assert f'href="/s/{token}/f/{beach.folder_id}/">← Day 1' in page
    assert f'src="/s/{token}/preview/{beach.pk}/"' in page


def test_text_has_no_inline_route(client: Client, holiday: Folder) -> None:
    _, token = grants.create_link(holiday)
    notes = UploadedFile.objects.get(name="notes.txt")
    assert client.get(f"/s/{token}/preview/{notes.pk}/").status_code == 404


def test_a_link_with_a_download_limit_shows_no_preview(client: Client, photo: UploadedFile) -> None:
    link, token = grants.create_link(photo, download_limit=2)
    html = client.get(f"/s/{token}/").content.decode()
    assert "<img" not in html.split("<main", 1)[1]
    assert "No preview on a link with a download limit" in html
    assert client.get(f"/s/{token}/preview/{photo.pk}/").status_code == 404
    link.refresh_from_db()
    assert link.downloads == 0


def test_a_password_link_previews_only_once_unlocked(client: Client, photo: UploadedFile) -> None:
    _, token = grants.create_link(photo, password="pw")
    assert client.get(f"/s/{token}/preview/{photo.pk}/").status_code == 403
    client.post(f"/s/{token}/unlock/", {"password": "pw"})
    assert client.get(f"/s/{token}/preview/{photo.pk}/").status_code == 200


def test_a_revoked_link_previews_nothing(client: Client, photo: UploadedFile) -> None:
    link, token = grants.create_link(photo)
    assert client.get(f"/s/{token}/preview/{photo.pk}/").status_code == 200
    grants.revoke(Link.objects.filter(pk=link.pk))
    response = client.get(f"/s/{token}/preview/{photo.pk}/")
    assert response.status_code == 410
    assert b"PNG" not in response.content
