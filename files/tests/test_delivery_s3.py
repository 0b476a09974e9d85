"""files.delivery with PORTAL_STORAGE=s3, without a store: presigning is computed locally.

The rows point at keys no store holds; nothing here opens a connection, and
the one test that does (a failed upload) finds the port closed.
"""

from __future__ import annotations

import uuid
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import pytest
from botocore.config import Config
from django.test import Client, RequestFactory
from django.utils import timezone
from pytest_django import Settings

from accounts.models import User
from files import delivery
from files.contract import DOWNLOAD_CSP, storage_key
from files.delivery import nginx
from files.delivery.objects import StoredObject
from files.models import UploadedFile

# Nothing listens on the discard port: a request to the store is refused at once.
ENDPOINT = "http://127.0.0.1:9"
SHA256 = "ab" * 32


@pytest.fixture(autouse=True)
def s3_settings(settings: Settings) -> Settings:
    # django-storages reads the AWS_* names when the storage is built, which
    # the STORAGES change below triggers.
    settings.AWS_STORAGE_BUCKET_NAME = "portal"
    settings.AWS_S3_ENDPOINT_URL = ENDPOINT
    settings.AWS_S3_REGION_NAME = "us-east-1"
    settings.AWS_ACCESS_KEY_ID = "portal-test"
    settings.AWS_SECRET_ACCESS_KEY = "not-a-secret"  # noqa: S105
    settings.AWS_S3_SIGNATURE_VERSION = "s3v4"
    settings.AWS_S3_ADDRESSING_STYLE = "path"
    settings.AWS_DEFAULT_ACL = None
    settings.AWS_QUERYSTRING_EXPIRE = 60
    settings.PORTAL_STORAGE = "s3"
    settings.PORTAL_S3_REDIRECT = False
    settings.STORAGES = {
        "default": {"BACKEND": "storages.backends.s3.S3Storage"},
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    return settings


@pytest.fixture
def upload(alice: User) -> UploadedFile:
    """A row as an upload leaves it; a string for `file` stores nothing."""
    file_id = uuid.uuid4()
    return UploadedFile.objects.create(
        id=file_id,
        owner=alice,
        file=storage_key(alice.pk, file_id),
        name="rapport d’été.pdf",
        size=5,
        content_type="application/pdf",
        sha256=SHA256,
    )


def test_nginx_gets_an_internal_redirect_to_a_presigned_url(
    rf: RequestFactory, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"

    response = delivery.serve(rf.get("/"), upload)

    assert response.status_code == 200
    accel = response["X-Accel-Redirect"]
    path, _, query = accel.partition("?")
    assert path == f"/_s3/{SHA256}/portal/{upload.file.name}"
    arguments = parse_qs(query)
    assert arguments["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert arguments["X-Amz-Expires"] == ["60"]
    assert arguments["X-Amz-SignedHeaders"] == ["host"]
    # nginx adds these itself; the store's would be a second copy.
    assert "response-content-type" not in arguments
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        "attachment; filename*=utf-8''rapport%20d%E2%80%99%C3%A9t%C3%A9.pdf"
    )
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Security-Policy"] == DOWNLOAD_CSP
    assert response["Cache-Control"] == "private"


def test_the_presigned_path_survives_nginx_decoding_it_once(
    rf: RequestFactory, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    # Not a key we write, but one a future object could have: a space and a "%".
    obj = StoredObject("t/1/a b%c", 1, "image/png", "a.png", SHA256, timezone.now())

    accel = nginx.x_accel_s3(rf.get("/"), obj)["X-Accel-Redirect"]

    path = accel.partition("?")[0]
    signed = "/portal/t/1/a%20b%25c"  # as botocore quoted it when signing
    assert unquote(path) == f"/_s3/{SHA256}{signed}"


def test_nginx_mode_answers_if_none_match_itself(
    rf: RequestFactory, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_SENDFILE = "nginx"

    response = delivery.serve(rf.get("/", HTTP_IF_NONE_MATCH=f'"{SHA256}"'), upload)

    assert response.status_code == 304
    assert response["ETag"] == f'"{SHA256}"'
    assert "X-Accel-Redirect" not in response


@pytest.mark.parametrize(
    ("if_range", "prefix"), [(f'"{SHA256}"', "/_s3/"), ('"old"', "/_s3_whole/")]
)
def test_an_if_range_for_another_version_drops_the_range(
    rf: RequestFactory, upload: UploadedFile, settings: Settings, if_range: str, prefix: str
) -> None:
    settings.PORTAL_SENDFILE = "nginx"
    request = rf.get("/", HTTP_RANGE="bytes=0-1", HTTP_IF_RANGE=if_range)

    response = delivery.serve(request, upload)

    assert response["X-Accel-Redirect"].startswith(f"{prefix}{SHA256}/")


def test_redirect_mode_sends_a_presigned_url_with_our_headers(
    rf: RequestFactory, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_S3_REDIRECT = True
    settings.PORTAL_SENDFILE = "nginx"  # the redirect wins over it

    response = delivery.serve(rf.get("/"), upload)

    assert response.status_code == 302
    assert response["Cache-Control"] == "private, no-store"
    location = urlsplit(response["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == (
        f"{ENDPOINT}/portal/{upload.file.name}"
    )
    arguments = parse_qs(location.query)
    assert arguments["response-content-type"] == ["application/pdf"]
    assert arguments["response-content-disposition"] == [
        "attachment; filename*=utf-8''rapport%20d%E2%80%99%C3%A9t%C3%A9.pdf"
    ]
    assert arguments["X-Amz-Algorithm"] == ["AWS4-HMAC-SHA256"]
    assert "X-Accel-Redirect" not in response


def test_redirect_mode_sends_inline_only_what_was_checked(
    rf: RequestFactory, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_S3_REDIRECT = True
    upload.content_type = "image/png"
    upload.name = "pic.png"

    response = delivery.serve(rf.get("/"), upload, inline=True)

    arguments = parse_qs(urlsplit(response["Location"]).query)
    assert arguments["response-content-disposition"] == ['inline; filename="pic.png"']


def test_signed_urls_are_not_used_with_s3(
    rf: RequestFactory, upload: UploadedFile, settings: Settings
) -> None:
    # nginx cannot presign, so a /_signed/ URL could not reach the object.
    settings.PORTAL_SENDFILE = "nginx"
    settings.PORTAL_SIGNED_URL_SECRET = "0123456789abcdefghijklmnopqrstuvwxyz"

    response = delivery.serve(rf.get("/"), upload)

    assert response["X-Accel-Redirect"].startswith("/_s3/")


def test_a_stranger_gets_404_before_anything_is_signed(
    bob_client: Client, upload: UploadedFile, settings: Settings
) -> None:
    settings.PORTAL_S3_REDIRECT = True

    response = bob_client.get(f"/files/{upload.pk}/download/")

    assert response.status_code == 404
    assert "Location" not in response


def test_an_upload_the_store_refuses_gets_503_and_leaves_nothing(
    alice: User, alice_client: Client, settings: Settings, tmp_path: Path
) -> None:
    settings.FILE_UPLOAD_TEMP_DIR = tmp_path / "incoming"
    settings.FILE_UPLOAD_TEMP_DIR.mkdir()
    settings.AWS_S3_CLIENT_CONFIG = Config(
        signature_version="s3v4", connect_timeout=1, retries={"max_attempts": 1}
    )
    settings.STORAGES = {**settings.STORAGES}  # rebuild the storage with that config
    with (tmp_path / "notes.bin").open("wb+") as incoming:
        incoming.write(b"x" * 3_000_000)  # past the in-memory limit: a temporary file
        incoming.seek(0)
        response = alice_client.post("/files/upload/", {"file": incoming})

    assert response.status_code == 503
    assert response["Retry-After"] == "60"
    assert b"could not be stored" in response.content
    assert not UploadedFile.objects.exists()
    assert list(settings.FILE_UPLOAD_TEMP_DIR.iterdir()) == []
