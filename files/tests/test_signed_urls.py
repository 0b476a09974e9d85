"""PORTAL_SIGNED_URL_SECRET: a permitted download answers 302 to a URL nginx verifies.

Except a browser's click on a download: one hop, X-Accel-Redirect (files.delivery.clicked).
"""

from __future__ import annotations

import base64
import hashlib
from urllib.parse import quote

import pytest
from django.test import Client
from pytest_django import Settings

from accounts.models import User
from files.checks import check_serving
from files.delivery import nginx
from files.models import UploadedFile
from files.tests.conftest import MakeFile
from files.tests.utils import body, image_bytes

SECRET = "0123456789abcdefghijklmnopqrstuvwxyz"
NOW = 1_800_000_000.75  # a frozen clock; int() of it is what nginx compares


@pytest.fixture(autouse=True)
def _signed(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    settings.PORTAL_SIGNED_URL_SECRET = SECRET
    settings.PORTAL_SIGNED_URL_TTL = 60
    monkeypatch.setattr(nginx, "_clock", lambda: NOW)


@pytest.fixture
def upload(alice: User, make_file: MakeFile) -> UploadedFile:
    return make_file(alice, "notes.txt", b"hello world")


def expected_url(upload: UploadedFile, head: str, name: str, query: str = "") -> str:
    """The URL computed here with hashlib and base64, not by files.delivery.

    `head` is expiry/disposition/type, `name` the ASCII name, `query` the
    encoded name when it differs.
    """
    path = f"/{head}/u/{upload.owner_id}/{upload.pk}/{name}"
    digest = hashlib.md5(f"{path}?{query} {SECRET}".encode()).digest()  # noqa: S324
    signature = base64.urlsafe_b64encode(digest).decode().rstrip("=")
    return f"/_signed/{signature}{path}" + (f"?{query}" if query else "")


def test_the_signature_is_nginx_secure_link_md5() -> None:
    # echo -n '<path>?<query> <secret>' | openssl md5 -binary | openssl base64
    #   | tr +/ -_ | tr -d =
    path = "/2147483647/inline/image/png/u/1/0b9f7a4e-1f7e-4c3e-9d0a-2b4c6d8e0f12/pic.png"
    assert nginx.sign(path, "", SECRET) == "dSW4GdkHWFhcDTKQypZfEw"
    assert nginx.sign(path, "p%C3%AFc.png", SECRET) == "PAAgwyVhY1ZzhfsVvtpbOg"


def test_download_redirects_to_a_signed_url(alice_client: Client, upload: UploadedFile) -> None:
    response = alice_client.get(f"/files/{upload.pk}/download/")
    assert response.status_code == 302
    assert response["Location"] == expected_url(
        upload, "1800000060/attachment/text/plain", "notes.txt"
    )
    # Every click runs the permission check again; nothing caches the 302.
    assert response["Cache-Control"] == "private, no-store"
    assert body(response) == b""
    for header in ("X-Accel-Redirect", "Content-Disposition", "Content-Security-Policy"):
        assert header not in response


# What a browser sends when a link is clicked (or a URL typed): a navigation.
CLICK = {
    "HTTP_SEC_FETCH_MODE": "navigate",
    "HTTP_SEC_FETCH_DEST": "document",
    "HTTP_SEC_FETCH_USER": "?1",
}


def test_a_browsers_click_on_a_download_is_answered_in_one_hop(
    alice_client: Client, upload: UploadedFile
) -> None:
    response = alice_client.get(f"/files/{upload.pk}/download/", **CLICK)
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == f"/_protected/u/{upload.owner_id}/{upload.pk}"
    assert response["Content-Disposition"] == 'attachment; filename="notes.txt"'
    assert response["Cache-Control"] == "private"
    assert "Location" not in response


@pytest.mark.parametrize(
    "fetch",
    [
        {},  # a script, an old browser: no Sec-Fetch headers at all
        {"HTTP_SEC_FETCH_MODE": "no-cors", "HTTP_SEC_FETCH_DEST": "video"},  # a media element
        {"HTTP_SEC_FETCH_MODE": "cors", "HTTP_SEC_FETCH_DEST": "empty"},  # fetch()
    ],
)
def test_anything_but_a_navigation_still_gets_the_signed_url(
    alice_client: Client, upload: UploadedFile, fetch: dict[str, str]
) -> None:
    response = alice_client.get(f"/files/{upload.pk}/download/", **fetch)
    assert response.status_code == 302
    assert response["Location"].startswith("/_signed/")


def test_a_click_on_a_preview_keeps_the_signed_url_for_its_range_requests(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    # A video or PDF opened in a tab asks for ranges of the URL it ended on:
    # the signed one answers them without Python.
    picture = make_file(alice, "pic.png", image_bytes("PNG"))
    response = alice_client.get(f"/files/{picture.pk}/preview/", **CLICK)
    assert response.status_code == 302
    assert response["Location"].startswith("/_signed/")


def test_a_click_checks_the_permission_all_the_same(
    bob_client: Client, client: Client, upload: UploadedFile
) -> None:
    assert bob_client.get(f"/files/{upload.pk}/download/", **CLICK).status_code == 404
    response = client.get(f"/files/{upload.pk}/download/", **CLICK)
    assert response["Location"] == f"/accounts/login/?next=/files/{upload.pk}/download/"


def test_preview_signs_inline_for_a_checked_type(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    picture = make_file(alice, "pic.png", image_bytes("PNG"))
    preview = alice_client.get(f"/files/{picture.pk}/preview/")
    download = alice_client.get(f"/files/{picture.pk}/download/")
    assert preview["Location"] == expected_url(picture, "1800000060/inline/image/png", "pic.png")
    assert download["Location"] == expected_url(
        picture, "1800000060/attachment/image/png", "pic.png"
    )


def test_the_name_is_percent_encoded_with_an_ascii_fallback(
    alice: User, alice_client: Client, make_file: MakeFile
) -> None:
    name = 'rapport d’été "50%" #1?.txt'
    upload = make_file(alice, name)
    response = alice_client.get(f"/files/{upload.pk}/download/")
    encoded = quote(name, safe="")
    assert encoded == "rapport%20d%E2%80%99%C3%A9t%C3%A9%20%2250%25%22%20%231%3F.txt"
    assert response["Location"] == expected_url(
        upload, "1800000060/attachment/text/plain", "rapport_d_ete_50_1_.txt", encoded
    )


@pytest.mark.parametrize(("ttl", "expires"), [(60, 1_800_000_060), (1, 1_800_000_001)])
def test_it_expires_ttl_seconds_from_now(
    alice_client: Client, upload: UploadedFile, settings: Settings, ttl: int, expires: int
) -> None:
    settings.PORTAL_SIGNED_URL_TTL = ttl
    response = alice_client.get(f"/files/{upload.pk}/download/")
    assert response["Location"].split("/")[3] == str(expires)


def test_it_checks_owner(bob_client: Client, upload: UploadedFile) -> None:
    response = bob_client.get(f"/files/{upload.pk}/download/")
    assert response.status_code == 404
    assert "Location" not in response


def test_it_sends_anonymous_users_to_login(client: Client, upload: UploadedFile) -> None:
    response = client.get(f"/files/{upload.pk}/download/")
    assert response["Location"] == f"/accounts/login/?next=/files/{upload.pk}/download/"


def test_it_is_off_without_a_secret(
    alice_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SIGNED_URL_SECRET = ""
    response = alice_client.get(f"/files/{upload.pk}/download/")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"].startswith("/_protected/u/")


@pytest.mark.parametrize("backend", ["apache", "django"])
def test_only_nginx_verifies_signed_urls(
    alice_client: Client, upload: UploadedFile, settings: Settings, backend: str
) -> None:
    settings.PORTAL_SENDFILE = backend
    assert alice_client.get(f"/files/{upload.pk}/download/").status_code == 200


def test_a_key_nginx_would_not_accept_keeps_x_accel_redirect(
    alice_client: Client, upload: UploadedFile
) -> None:
    UploadedFile.objects.filter(pk=upload.pk).update(file="u/1/odd name?.bin")
    response = alice_client.get(f"/files/{upload.pk}/download/")
    assert response.status_code == 200
    assert response["X-Accel-Redirect"] == "/_protected/u/1/odd%20name%3F.bin"


def test_a_type_nginx_would_not_accept_keeps_x_accel_redirect(
    alice_client: Client, upload: UploadedFile
) -> None:
    UploadedFile.objects.filter(pk=upload.pk).update(content_type="text/plain; charset=utf-8")
    response = alice_client.get(f"/files/{upload.pk}/download/")
    assert response.status_code == 200
    assert response["Content-Type"] == "text/plain; charset=utf-8"


def test_the_check_accepts_a_good_secret() -> None:
    assert check_serving() == []


@pytest.mark.parametrize(
    ("overrides", "error_id"),
    [
        ({"PORTAL_SIGNED_URL_SECRET": "too-short"}, "files.E005"),
        ({"PORTAL_SIGNED_URL_SECRET": SECRET + "$uri"}, "files.E005"),
        ({"PORTAL_SENDFILE": "apache"}, "files.E006"),
        ({"PORTAL_SENDFILE": "django"}, "files.E006"),
        ({"PORTAL_SIGNED_URL_TTL": 0}, "files.E007"),
    ],
)
def test_the_check_refuses_a_setup_that_cannot_work(
    settings: Settings, overrides: dict[str, object], error_id: str
) -> None:
    for name, value in overrides.items():
        setattr(settings, name, value)
    assert [error.id for error in check_serving()] == [error_id]
