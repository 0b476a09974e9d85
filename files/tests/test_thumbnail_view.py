"""/files/<uuid>/thumbnail/: private like the file, sent by the same backends."""

from __future__ import annotations

import re
import uuid

import pytest
from django.test import Client
from pytest_django import DjangoCaptureOnCommitCallbacks, Settings

from accounts.models import User
from deploy.stack import REPO_DIR
from files.contract import DOWNLOAD_CSP, SIGNABLE_KEY, SIGNED_LOCATION, THUMBNAIL_SUFFIX
from files.delivery import nginx
from files.models import UploadedFile, thumbnail_key
from files.previews import thumbnails
from files.tests.conftest import MakeFile
from files.tests.utils import body, photo_bytes, stored_path

SECRET = "s" * 32


@pytest.fixture
def upload(
    alice: User,
    make_file: MakeFile,
    django_capture_on_commit_callbacks: DjangoCaptureOnCommitCallbacks,
) -> UploadedFile:
    with django_capture_on_commit_callbacks(execute=True):
        stored = make_file(alice, "holiday photo.jpg", photo_bytes())
    stored.refresh_from_db()
    assert stored.thumbnail
    return stored


def url(upload: UploadedFile) -> str:
    return f"/files/{upload.pk}/thumbnail/"


def test_it_sends_the_thumbnail_to_the_owner(alice_client: Client, upload: UploadedFile) -> None:
    response = alice_client.get(url(upload))
    assert response.status_code == 200
    assert body(response) == stored_path(upload.thumbnail.name).read_bytes()
    assert response["Content-Type"] == "image/webp"
    assert response["Content-Disposition"] == (
        "inline; filename=\"holiday_photo.webp\"; filename*=utf-8''holiday%20photo.webp"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == DOWNLOAD_CSP
    assert response["Cache-Control"] == "private"
    assert response["ETag"] != f'"{upload.sha256}"'  # not the original's validator


def test_it_answers_a_revalidation_with_304(alice_client: Client, upload: UploadedFile) -> None:
    etag = alice_client.get(url(upload))["ETag"]
    assert alice_client.get(url(upload), headers={"If-None-Match": etag}).status_code == 304


def test_a_stranger_gets_404(charlie_client: Client, upload: UploadedFile) -> None:
    assert charlie_client.get(url(upload)).status_code == 404


def test_staff_may_see_it(staff: User, upload: UploadedFile) -> None:
    client = Client()
    client.force_login(staff)
    assert client.get(url(upload)).status_code == 200


def test_anonymous_goes_to_login(client: Client, upload: UploadedFile) -> None:
    response = client.get(url(upload))
    assert response.status_code == 302
    assert response["Location"].startswith("/accounts/login/")


def test_a_file_without_thumbnail_is_404(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    upload = make_file(alice, "notes.txt", b"hello")
    assert alice_client.get(url(upload)).status_code == 404


def test_it_handles_a_bad_id(alice_client: Client) -> None:
    assert alice_client.get(f"/files/{uuid.uuid4()}/thumbnail/").status_code == 404
    assert alice_client.get("/files/not-a-uuid/thumbnail/").status_code == 404


def test_it_rejects_post(alice_client: Client, upload: UploadedFile) -> None:
    assert alice_client.post(url(upload)).status_code == 405


def test_nginx_gets_the_thumbnail_key(
    alice_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    response = alice_client.get(url(upload))
    assert response["X-Accel-Redirect"] == f"/_protected/{upload.file.name}.thumb.webp"
    assert response["Content-Type"] == "image/webp"


def test_apache_gets_its_path(
    alice_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "apache"
    response = alice_client.get(url(upload))
    assert response["X-Sendfile"] == str(stored_path(upload.thumbnail.name).resolve())


def test_the_view_redirects_to_a_signed_thumbnail_url(
    alice_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    settings.PORTAL_SIGNED_URL_SECRET = SECRET
    response = alice_client.get(url(upload))
    assert response.status_code == 302
    location = response["Location"]
    assert location.startswith("/_signed/")
    assert location.endswith(
        f"/inline/image/webp/{upload.file.name}.thumb.webp/holiday_photo.webp?holiday%20photo.webp"
    )


def test_thumbnail_url_is_the_view_without_signing(upload: UploadedFile) -> None:
    assert thumbnails.thumbnail_url(upload) == url(upload)


def test_thumbnail_url_is_signed_where_nginx_verifies(
    upload: UploadedFile, settings: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    settings.PORTAL_SIGNED_URL_SECRET = SECRET
    monkeypatch.setattr(nginx, "_clock", lambda: 1_000_000.0)
    expires = 1_000_000 + settings.PORTAL_SIGNED_URL_TTL
    path = f"/{expires}/inline/image/webp/{upload.file.name}.thumb.webp/holiday_photo.webp"
    signature = nginx.sign(path, "holiday%20photo.webp", SECRET)
    assert thumbnails.thumbnail_url(upload) == f"/_signed/{signature}{path}?holiday%20photo.webp"


def test_thumbnail_url_is_empty_without_a_thumbnail(alice: User, make_file: MakeFile) -> None:
    assert thumbnails.thumbnail_url(make_file(alice, "photo.jpg", photo_bytes())) == ""


def test_nginx_accepts_the_thumbnail_keys_delivery_signs() -> None:
    """The /_signed/ location (files.contract, rendered into nginx.conf) against the key shapes."""
    conf = (REPO_DIR / "deploy" / "nginx.conf").read_text()
    location = re.compile(SIGNED_LOCATION.replace("(?<", "(?P<"))
    key = f"u/7/{uuid.uuid4()}"
    head = f"/_signed/{'A' * 22}/1/inline/image/webp/"
    for signable in (key, thumbnail_key(key)):
        assert location.fullmatch(f"{head}{signable}/pic.webp")
        assert SIGNABLE_KEY.fullmatch(signable)
    assert not location.fullmatch(f"{head}{key}.webp/pic.webp")
    variant = location.fullmatch(f"{head}{thumbnail_key(key)}/pic.webp")
    assert variant is not None
    assert variant.group("portal_signed_variant") == THUMBNAIL_SUFFIX
    assert f'"{THUMBNAIL_SUFFIX}" thumbnail;' in conf  # where an expired link goes back to
